"""What each rendered page is made from, digested: under one render key (config, theme, kbgen;
see cache.py), two equal signatures give the same bytes, so a build can keep the file the last
build wrote.

A page's template sees the page, its translations (language switcher, hreflang, the original
of a fallback), every page of its language through the navigation, breadcrumbs and listings
(titles, URLs, dates, order), and the homes and other site-wide pages of every language (the
switcher leads to a home when a page is untranslated). The pages that list bodies (home,
sections, the FAQ index, the replies page) also depend on the bodies of their language's FAQ
entries and reply templates. A theme whose templates read other parts of the model should be
built with `--no-cache`.
"""

from __future__ import annotations

import hashlib

from kbgen.site import Page, Site

SITEWIDE_KINDS = ("home", "rules", "faq_index", "replies", "search", "not_found")
LISTING_KINDS = ("home", "section", "faq_index", "replies")


def _digest(*parts: object) -> str:
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


def summary(page: Page) -> tuple[object, ...]:
    """What other pages can show of a page."""
    return (
        page.kind,
        page.lang,
        page.key,
        page.url,
        page.title,
        page.description,
        page.group,
        page.weight,
        page.date,
        page.updated,
        page.tags,
        page.fallback_of,
        page.comments,
        page.discussion,
        # not outdated_since: only the page itself shows its banner (in `Signatures.page`),
        # so a translation falling behind does not make its whole language render again
        page.promoted,
        page.icon,
    )


class Signatures:
    def __init__(self, site: Site, render_key: str, search_files: dict[str, str]) -> None:
        self.site = site
        sitewide = [summary(p) for p in site.pages if p.kind in SITEWIDE_KINDS]
        self.common = _digest(render_key, sitewide, sorted(search_files.items()))
        self._languages: dict[str, str] = {}
        self._bodies: dict[str, str] = {}
        self._summaries: dict[int, str] = {}  # id(page) -> repr(summary(page))

    def _summary(self, page: Page) -> str:
        """repr(summary(page)), made once: each page is summarized in its own signature and
        in each of its translations'."""
        found = self._summaries.get(id(page))
        if found is None:
            found = self._summaries[id(page)] = repr(summary(page))
        return found

    def _language(self, lang: str) -> str:
        if lang not in self._languages:
            groups = [
                (g.key, g.title, g.description, [e.key for e in g.entries])
                for g in self.site.faq_groups.get(lang, [])
            ]
            pages = [self._summary(p) for p in self.site.in_language(lang)]
            self._languages[lang] = _digest(self.common, pages, groups)
        return self._languages[lang]

    def _listed_bodies(self, lang: str) -> str:
        if lang not in self._bodies:
            bodies = [
                (p.key, p.html, p.listed_html, p.toc)
                for p in self.site.in_language(lang)
                if p.kind in ("faq", "reply")
            ]
            self._bodies[lang] = _digest(bodies)
        return self._bodies[lang]

    def sitemap(self) -> str:
        """The sitemap shows every page's summary, in the model's order: each language's pages
        in order, and the order of their languages."""
        languages = [self._language(lang) for lang in self.site.config.languages]
        return _digest("sitemap.xml", languages, [p.lang for p in self.site.pages])

    def page(self, page: Page) -> str:
        translations = [self._summary(t) for t in self.site.translations(page).values()]
        listed = self._listed_bodies(page.lang) if page.kind in LISTING_KINDS else ""
        digest = hashlib.blake2b(digest_size=16)
        parts = (
            self._language(page.lang),
            self._summary(page),
            page.source.rel if page.source else None,
            [(h.level, h.id, h.text) for h in page.toc],  # a dataclass's repr() is slow
            translations,
            listed,
            self.site.discussions.get(page.url),
            page.outdated_since,
            # the bodies follow as they are (their repr() would copy and escape every page's
            # HTML: most of this function's time), their lengths keep the parts apart
            len(page.html),
            len(page.listed_html),
        )
        digest.update(repr(parts).encode())
        digest.update(page.html.encode())
        digest.update(page.listed_html.encode())
        return digest.hexdigest()
