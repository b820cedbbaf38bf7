"""Links between Markdown files: each link's target resolved to the site-relative URL of the
page (or content file) it leads to, stored in its token, and its problems reported (errors
name file and line; `links.broken` and `links.anchors` in the config may make them
warnings, and the link is then rendered with the class `broken-link`)."""

from __future__ import annotations

import posixpath
from urllib.parse import unquote, urlsplit

from kbgen.diagnostics import Diagnostics
from kbgen.i18n import UiStrings
from kbgen.markdown import Document, LinkRef, links
from kbgen.pages import SiteIndex
from kbgen.site import ExternalLink, Page

LinkTarget = tuple[str, set[str], bool, str] | None  # url, anchors, is fallback, kind


def link_targets(index: SiteIndex) -> dict[tuple[str, str], LinkTarget]:
    """What a link to each (lang, rel) sees: the page's URL and anchors, or an asset."""
    found: dict[tuple[str, str], LinkTarget] = dict.fromkeys(index.asset_rels)
    for key, page in index.by_rel.items():
        found[key] = (page.url, page.anchors, page.is_fallback, page.kind)
    return found


def changed_targets(
    old: dict[tuple[str, str], LinkTarget], new: dict[tuple[str, str], LinkTarget]
) -> set[tuple[str, str]]:
    """The (lang, rel) whose page or file is new, gone or changed from `old` to `new`."""
    # a comprehension, not the ^ result itself: that set keeps a table sized for every
    # key even when (nearly) empty, and isdisjoint() walks the table per page
    changed = {key for key in old.keys() ^ new.keys()}
    for key, now in new.items():
        before = old.get(key, now)
        if before is not now and before != now:
            changed.add(key)
    return changed


def needs_other_anchors(doc: Document) -> bool:
    """Whether a link of the parsed body leads to a heading of another page: resolving
    it needs that page's anchors, known once every body is parsed."""
    for ref in links(doc):
        parts = urlsplit(ref.target)
        if parts.path and parts.fragment and not (parts.scheme or parts.netloc):
            return True
    return False


class LinkResolver:
    """Resolves the links of one model's bodies against its pages and content files."""

    def __init__(self, index: SiteIndex, ui: UiStrings) -> None:
        self.index, self.ui = index, ui
        self.config = index.site.config

    def resolve_links(self, page: Page, doc: Document, diags: Diagnostics) -> set[tuple[str, str]]:
        """Store in each link's token the URL it leads to; the (lang, rel) the answers
        depended on, so a cached body knows when to resolve its links again."""
        depends: set[tuple[str, str]] = set()
        for ref in links(doc):
            target = self.resolve(page, ref, diags, depends)
            if target is not None:
                ref.token.meta["site_url"] = target
        return depends

    def resolve(
        self, page: Page, ref: LinkRef, diags: Diagnostics, depends: set[tuple[str, str]]
    ) -> str | None:
        """The site-relative URL a link in `page` points to, or None to leave it as written."""
        assert page.source is not None
        by_rel = self.index.by_rel
        href = ref.target
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or href.startswith("/"):
            if parts.netloc and parts.scheme in ("", "http", "https") and not page.is_fallback:
                url = href if parts.scheme else f"https:{href}"
                external = ExternalLink(url, page.source.path, ref.line)
                self.index.site.external_links.append(external)
            return None
        if not parts.path:
            if parts.fragment and unquote(parts.fragment) not in page.anchors:
                self.link_error(
                    page,
                    ref,
                    diags,
                    f"no heading or anchor '#{parts.fragment}' on this page",
                    "anchors",
                )
            return None
        folder = posixpath.dirname(page.source.rel)
        rel = posixpath.normpath(posixpath.join(folder, unquote(parts.path)))
        if rel.startswith("../") or rel == "..":
            self.link_error(
                page,
                ref,
                diags,
                f"'{href}' leads out of the language folder; link to a file of the same language",
            )
            return None
        fragment = f"#{parts.fragment}" if parts.fragment else ""
        depends.update(
            {(page.lang, rel), (self.config.default_language, rel), (str(page.fallback_of), rel)}
        )
        if rel.endswith(".md"):
            target = by_rel.get((page.lang, rel))
            if target is None:
                self.missing_page(page, ref, diags, rel)
                return None
            if id(target) in self.index.unplaced:
                return None  # its URL collision is the error; its anchors were never read
            if parts.fragment and unquote(parts.fragment) not in target.anchors:
                # A fallback page's anchors are in its original's language: lead there.
                original = by_rel.get((str(page.fallback_of), rel))
                if page.is_fallback and original and unquote(parts.fragment) in original.anchors:
                    return original.url + fragment
                self.link_error(
                    page,
                    ref,
                    diags,
                    f"'{href}': no heading or anchor '#{parts.fragment}' in {rel}",
                    "anchors",
                )
                # the page is there: lead to it (a link shown broken, if a warning)
                return target.url + fragment
            if target.is_fallback and not page.is_fallback:
                diags.warning(
                    f"'{href}' is not translated into '{page.lang}' yet; the "
                    "link leads to the untranslated page",
                    page.source.path,
                    ref.line,
                )
            return target.url + fragment
        for lang in (page.lang, self.config.default_language):
            if (lang, rel) in self.index.asset_rels:
                return f"{lang}/{rel}{fragment}"
        self.link_error(page, ref, diags, f"'{href}': no such file in content/{page.lang}/")
        return None

    def missing_page(self, page: Page, ref: LinkRef, diags: Diagnostics, rel: str) -> None:
        default = self.config.default_language
        if (default, rel) in self.index.by_rel and self.config.fallback == "none":
            message = (
                f"'{ref.target}' has no '{page.lang}' translation and fallback is "
                "none; translate it or remove the link"
            )
        else:
            message = f"'{ref.target}': no such page in content/{page.lang}/ ({rel})"
        self.link_error(page, ref, diags, message)

    def link_error(
        self, page: Page, ref: LinkRef, diags: Diagnostics, message: str, kind: str = "broken"
    ) -> None:
        """Report a broken link as `links.broken` or `links.anchors` says (`kind`). As a
        warning, the site is built with the link marked: a class the theme shows as broken
        and a title saying why; its href stays as written, or leads to the page that lacks
        the anchor."""
        assert page.source is not None
        severity = self.config.links.anchors if kind == "anchors" else self.config.links.broken
        # a page shown untranslated has its original's links: the original reports them
        if not page.is_fallback:
            report = diags.error if severity == "error" else diags.warning
            report(f"broken link: {message}", page.source.path, ref.line)
        if severity == "error":
            return
        ref.token.attrJoin("class", "broken-link")
        title = self.ui.gettext(page.lang, "Broken link: %(target)s does not exist")
        ref.token.attrSet("title", title % {"target": ref.target})
