"""The site model: every page of every language, its URL, its translations, its body.

Built from the sources in three passes: make the pages and their URLs (translations and
fallbacks included), parse every body (so every page's anchors are known), then resolve the
links between Markdown files and render the bodies. Rendering templates reads this model and
nothing else.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import multiprocessing
import os
import posixpath
import traceback
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from markdown_it import MarkdownIt

from kbgen.config import Config
from kbgen.diagnostics import Diagnostic, Diagnostics, shown_path
from kbgen.i18n import UiStrings
from kbgen.markdown import (
    Document,
    Heading,
    LinkRef,
    create_parser,
    links,
    mark_placeholders,
    number_rules,
    parse,
    plain_text,
    render,
    slugify,
)
from kbgen.providers import Discussion
from kbgen.sources import Source, SourceSet, path_piece_problem
from kbgen.urls import normalize_alias, output_path, relative_url
from kbgen.workers import end_with_parent

WORDS_PER_MINUTE = 220
SIDEBAR_LINKS = 50  # an article's sidebar lists this many of its section's articles at most

# Kinds of page written as files of their own; replies live on the replies page.
STANDALONE_KINDS = (
    "home",
    "section",
    "article",
    "faq_index",
    "faq",
    "rules",
    "replies",
    "search",
    "not_found",
)


@dataclass
class Page:
    kind: str  # home, section, article, faq_index, faq, rules, replies, reply, search, not_found
    lang: str
    key: str  # shared by all translations of one page
    url: str  # site-relative: "fr/articles/billing/refunds/"; a reply: "fr/replies/#refund"
    title: str
    description: str = ""
    source: Source | None = None  # for a fallback, the original's file
    group: str | None = None  # articles: the section folder; faq: the group folder
    weight: int = 0
    date: dt.date | None = None
    updated: dt.date | None = None
    tags: tuple[str, ...] = ()
    comments: bool | None = None  # None: the site's default for this kind
    discussion: str | None = None
    fallback_of: str | None = None  # the original's language, when shown untranslated
    html: str = ""  # the body, with links relative to this page's own URL
    listed_html: str = ""  # the body as shown on the page that lists it (FAQ index, replies)
    toc: list[Heading] = field(default_factory=list)
    text: str = ""  # plain text of the body, for search
    anchors: set[str] = field(default_factory=set)
    doc: Document | None = field(default=None, repr=False)
    # set (by kbgen.status) on a translation made from an older version of its original:
    # the date the original was last changed
    outdated_since: dt.date | None = None
    promoted: bool = False  # listed on the home page
    icon: str | None = None  # a section's icon, by name (the theme's templates/icons/)

    @property
    def output_path(self) -> str:
        return output_path(self.url)

    @property
    def anchor(self) -> str:
        """The id this page has on the page that lists it."""
        return (
            self.url.rpartition("#")[2]
            if "#" in self.url
            else self.url.strip("/").rpartition("/")[2]
        )

    @property
    def is_fallback(self) -> bool:
        return self.fallback_of is not None

    @property
    def sort_key(self) -> tuple[int, str]:
        return (self.weight, self.title.casefold())

    @property
    def reading_minutes(self) -> int:
        """Minutes to read the body, at about 220 words a minute, at least one."""
        return max(1, round(len(self.text.split()) / WORDS_PER_MINUTE))


@dataclass(frozen=True)
class Redirect:
    url: str  # the old, site-relative URL
    target: Page
    source: Path
    alias: str = ""  # as written in the front matter
    line: int | None = None  # of `aliases` in that file


@dataclass(frozen=True)
class ExternalLink:
    """A link to another site, where it is written (for `kbgen check --external`)."""

    url: str
    file: Path
    line: int


@dataclass(frozen=True)
class SectionNav:
    """An article's place in its section: the sidebar's window of articles around it (the
    whole section when it is small), their number, and the articles before and after it."""

    articles: list[Page]
    total: int
    previous: Page | None
    next: Page | None


@dataclass(frozen=True)
class FaqGroup:
    key: str | None
    title: str
    description: str
    entries: list[Page]


@dataclass
class CachedBody:
    """What parsing and rendering one page's body produced, reusable while its inputs hold."""

    anchors: set[str]
    toc: list[Heading]
    text: str
    html: str
    listed_html: str
    targets: frozenset[tuple[str, str]]  # the (lang, rel) its links were resolved against
    # what checking its heading ids and resolving its links reported
    link_problems: tuple[Diagnostic, ...]


LinkTarget = tuple[str, set[str], bool, str] | None  # url, anchors, is fallback, kind


class BodyCache:
    """Bodies of an earlier build of the model, so a rebuild parses only changed pages.

    Parsing Markdown is most of the model's cost. An entry is found by everything its tokens
    depend on (kind, language, file, URL, text) and reused if none of the pages and files
    its links lead to changed URL, anchors or presence since. Valid for one config and theme
    (the rule label is a UI string); `kbgen serve` keeps one between rebuilds.
    """

    def __init__(self, digest_bodies: bool = False) -> None:
        # a cache kept on disk finds entries by a digest of the text, not the text itself
        self.digest_bodies = digest_bodies
        self.entries: dict[tuple[object, ...], CachedBody] = {}
        self.targets: dict[tuple[str, str], LinkTarget] = {}  # (lang, rel) -> what links see
        self.fresh: set[tuple[str, str]] = set()  # (lang, key) of bodies made anew last build
        # the last model's bodies by page, what its other stages reported, and its builder
        self.pages: dict[tuple[str, str], CachedBody] = {}
        self.model_problems: list[Diagnostic] = []
        self.builder: _SiteBuilder | None = None

    def link_problems(self) -> list[Diagnostic]:
        return [d for body in self.pages.values() for d in body.link_problems]

    def key(self, page: Page) -> tuple[object, ...]:
        assert page.source is not None
        source = page.source
        body: str | bytes = source.body
        if self.digest_bodies:
            body = hashlib.blake2b(source.body.encode(), digest_size=16).digest()
        return (
            page.kind,
            page.lang,
            page.url,
            source.rel,
            page.fallback_of,
            body,
            source.body_line,
        )


@dataclass
class Site:
    config: Config
    pages: list[Page] = field(default_factory=list)
    redirects: list[Redirect] = field(default_factory=list)
    assets: dict[str, Path] = field(default_factory=dict)  # output path -> file
    faq_groups: dict[str, list[FaqGroup]] = field(default_factory=dict)
    discussions: dict[str, Discussion] = field(default_factory=dict)  # page URL -> its thread
    # links to other sites, from the bodies parsed by this build (every body, without a cache)
    external_links: list[ExternalLink] = field(default_factory=list)
    _by_key: dict[tuple[str, str], Page] = field(default_factory=dict, repr=False)
    # each section's articles in order, and each article's place there, made on first use
    # (renders ask for them once per article: a scan of every page each time would be slow)
    _sections: dict[tuple[str, str | None], list[Page]] = field(
        default_factory=dict, repr=False, compare=False
    )
    _places: dict[int, int] = field(default_factory=dict, repr=False, compare=False)
    _indexed_pages: int = field(default=-1, repr=False, compare=False)

    def add(self, page: Page) -> None:
        self.pages.append(page)
        self._by_key[(page.lang, page.key)] = page

    def page(self, lang: str, key: str) -> Page | None:
        return self._by_key.get((lang, key))

    def translations(self, page: Page) -> dict[str, Page]:
        """The same page in every language that has it, fallbacks included, in config order."""
        found = {}
        for lang in self.config.languages:
            other = self._by_key.get((lang, page.key))
            if other is not None:
                found[lang] = other
        return found

    def in_language(self, lang: str, kind: str | None = None) -> list[Page]:
        return [p for p in self.pages if p.lang == lang and (kind is None or p.kind == kind)]

    def sections(self, lang: str) -> list[Page]:
        return sorted(self.in_language(lang, "section"), key=lambda p: p.sort_key)

    def articles(self, lang: str, group: str | None = None) -> list[Page]:
        found = [p for p in self.in_language(lang, "article") if group in (None, p.group)]
        return sorted(found, key=lambda p: p.sort_key)

    def replies(self, lang: str) -> list[Page]:
        return sorted(self.in_language(lang, "reply"), key=lambda p: p.sort_key)

    def _section_articles(self, lang: str, group: str | None) -> list[Page]:
        if self._indexed_pages != len(self.pages):  # pages were added since: start again
            self._sections, self._places = {}, {}
            by_section: dict[tuple[str, str | None], list[Page]] = defaultdict(list)
            for page in self.pages:
                if page.kind == "article":
                    by_section[(page.lang, page.group)].append(page)
            for key, pages in by_section.items():
                pages.sort(key=lambda p: p.sort_key)
                self._sections[key] = pages
                self._places.update((id(p), n) for n, p in enumerate(pages))
            self._indexed_pages = len(self.pages)
        return self._sections.get((lang, group), [])

    def section_nav(self, page: Page, size: int = SIDEBAR_LINKS) -> SectionNav | None:
        """The article's neighbours in its section (see SectionNav); None for other pages."""
        if page.kind != "article":
            return None
        articles = self._section_articles(page.lang, page.group)
        place = self._places.get(id(page))
        if place is None:
            return None
        start = max(0, min(place - size // 2, len(articles) - size))
        return SectionNav(
            articles[start : start + size],
            len(articles),
            articles[place - 1] if place > 0 else None,
            articles[place + 1] if place + 1 < len(articles) else None,
        )

    def promoted(self, lang: str) -> list[Page]:
        """The language's articles and FAQ entries marked `promoted: true`, in order."""
        found = [p for p in self.in_language(lang) if p.promoted and p.kind in ("article", "faq")]
        return sorted(found, key=lambda p: p.sort_key)

    def section_of(self, page: Page) -> Page | None:
        return self.page(page.lang, f"section:{page.group}") if page.group else None

    @property
    def standalone_pages(self) -> list[Page]:
        return [p for p in self.pages if p.kind in STANDALONE_KINDS]


def translation_key(source: Source) -> str:
    if source.kind == "home":
        return "home"
    if source.kind == "rules":
        return "rules"
    if source.kind in ("section", "faq_group"):
        return f"{source.kind}:{source.group}"
    if source.meta.translation_key:
        return f"{source.kind}:key:{source.meta.translation_key}"
    return f"{source.kind}:{source.rel.removesuffix('.md')}"


def _stem(source: Source) -> str:
    return source.meta.slug or posixpath.basename(source.rel).removesuffix(".md")


class _SiteBuilder:
    def __init__(
        self,
        config: Config,
        sources: SourceSet,
        ui: UiStrings,
        diags: Diagnostics,
        cache: BodyCache | None = None,
        workers: int = 1,
    ) -> None:
        self.config, self.ui, self.diags = config, ui, diags
        self.workers = workers
        self.body_workers: BodyWorkers | None = None
        self.sources = sources
        self.cache = cache
        self.used: dict[tuple[object, ...], CachedBody] = {}
        self.cached: dict[int, CachedBody] = {}  # id(page) -> its body from the cache
        self.depends: set[tuple[str, str]] = set()  # what the links being resolved looked at
        self.site = Site(config)
        self.md: MarkdownIt = create_parser(config.markdown)
        self.by_rel: dict[tuple[str, str], Page] = {}  # (lang, source rel) -> page
        self.urls: dict[str, Page] = {}
        # pages left out for a URL another page has: links to them are not reported again
        self.unplaced: set[int] = set()
        self.reported: set[tuple[str, str]] = set()  # the pairs of files said to share a URL
        self.faq_group_sources: dict[tuple[str, str], Source] = {}
        self.named: set[tuple[Path, str]] = set()  # file and folder names checked as slugs

    def _(self, lang: str, message: str) -> str:
        return self.ui.gettext(lang, message)

    # Pass 1: pages and URLs -------------------------------------------------------------

    def make_pages(self) -> None:
        by_lang: dict[str, dict[str, Source]] = defaultdict(dict)
        for source in self.sources.pages:
            key = translation_key(source)
            if key in by_lang[source.lang]:
                other = by_lang[source.lang][key]
                self.diags.error(
                    f"two files in '{source.lang}' are the same page ({key}); the other is "
                    f"{shown_path(other.path)}: give them different translation_key values",
                    source.path,
                    source.meta.lines.get("translation_key"),
                )
                continue
            by_lang[source.lang][key] = source
        default = self.config.default_language
        for lang in self.config.languages:
            own = by_lang.get(lang, {})
            originals = by_lang.get(default, {})
            # sections first: an article's URL holds its section's slug
            for key, source in sorted(own.items(), key=_sections_first):
                self.add_source_page(lang, key, source, None)
            if self.config.fallback == "default" and lang != default:
                for key, source in sorted(originals.items(), key=_sections_first):
                    if key not in own and source.kind != "home":
                        self.add_source_page(lang, key, source, default)
            self.add_generated_pages(lang)

    def section_slug(self, lang: str, folder: str) -> str:
        section = self.site.page(lang, f"section:{folder}")
        if section is not None and section.source is not None and section.source.meta.slug:
            return section.source.meta.slug
        return folder

    def named_slug(self, source: Source, folder: bool = False) -> str:
        """The slug a page (or, with `folder`, its section) takes from its file (folder) name
        when it has no `slug:`; a name `slug:` would refuse is an error on the file."""
        name = str(source.group) if folder else _stem(source)
        where = source.path.parent if folder else source.path
        if (folder or not source.meta.slug) and (where, name) not in self.named:
            self.named.add((where, name))
            problem = path_piece_problem(name, allow_slash=False)
            if problem:
                what = "folder" if folder else "file"
                fix = "give its _section.md" if folder else "give it"
                self.diags.error(
                    f"the {what} name gives the URL slug {name!r}, which {problem}; rename the "
                    f"{what} or {fix} a 'slug:' in the front matter",
                    where,
                )
        return name

    def url_for(self, lang: str, source: Source) -> str:
        match source.kind:
            case "home":
                return f"{lang}/"
            case "rules":
                return f"{lang}/rules/"
            case "section":
                slug = _stem(source) if source.meta.slug else self.named_slug(source, folder=True)
                return f"{lang}/articles/{slug}/"
            case "article":
                section = self.section_slug(lang, str(source.group))
                if section == source.group:  # the folder's name, not a slug: that it gave
                    self.named_slug(source, folder=True)
                return f"{lang}/articles/{section}/{self.named_slug(source)}/"
            case "faq":
                return f"{lang}/faq/{self.named_slug(source)}/"
            case "reply":
                return f"{lang}/replies/#{slugify(_stem(source))}"
        raise AssertionError(source.kind)

    def add_source_page(self, lang: str, key: str, source: Source, fallback_of: str | None) -> None:
        if source.kind == "faq_group":
            self.faq_group_sources[(lang, str(source.group))] = source
            return
        meta = source.meta
        page = Page(
            kind=source.kind,
            lang=lang,
            key=key,
            url=self.url_for(lang, source),
            title=meta.title,
            description=meta.description,
            source=source,
            group=source.group,
            weight=meta.weight,
            date=meta.date,
            updated=meta.updated,
            tags=meta.tags,
            comments=meta.comments,
            discussion=meta.discussion,
            fallback_of=fallback_of,
            promoted=meta.promoted,
            icon=meta.icon,
        )
        if not self.register(page):
            self.unplaced.add(id(page))
        self.by_rel[(lang, source.rel)] = page

    def register(self, page: Page) -> bool:
        """Add the page to the site; False if another page has its URL (an error)."""
        if page.kind in STANDALONE_KINDS:
            other = self.urls.get(page.url)
            if other is not None:
                # a fallback page repeats its original's collision: reported once
                pair = (_where(page), _where(other))
                if pair not in self.reported:
                    self.reported.add(pair)
                    self.diags.error(
                        f"two pages claim the URL /{page.url}: this file and {pair[1]}; "
                        "give one of them another slug",
                        _file(page),
                        _line(page, "slug"),
                    )
                return False
            self.urls[page.url] = page
        self.site.add(page)
        return True

    def add_generated_pages(self, lang: str) -> None:
        _ = self._
        if self.site.page(lang, "home") is None:
            self.register(Page("home", lang, "home", f"{lang}/", self.config.site_title(lang)))
        folders = {p.group for p in self.site.in_language(lang, "article")}
        for folder in sorted(f for f in folders if f):
            if self.site.page(lang, f"section:{folder}") is None:
                self.diags.warning(
                    f"section '{folder}' has no _section.md; add one to give it a title",
                    self.config.content_dir / lang / "articles" / folder,
                )
                self.register(
                    Page(
                        "section",
                        lang,
                        f"section:{folder}",
                        f"{lang}/articles/{folder}/",
                        folder.replace("-", " ").capitalize(),
                        group=folder,
                    )
                )
        if self.site.in_language(lang, "faq"):
            self.register(
                Page(
                    "faq_index",
                    lang,
                    "faq_index",
                    f"{lang}/faq/",
                    _(lang, "Frequently asked questions"),
                )
            )
        if any(s.kind == "reply" for s in self.sources.pages):
            self.register(
                Page("replies", lang, "replies", f"{lang}/replies/", _(lang, "Reply templates"))
            )
        if self.config.search.enabled:
            # The shareable results page (?q=…); filled in the browser, never indexed.
            self.register(Page("search", lang, "search", f"{lang}/search/", _(lang, "Search")))
        self.register(
            Page("not_found", lang, "not_found", f"{lang}/404.html", _(lang, "Page not found"))
        )

    def rule_label(self, lang: str) -> Callable[[int], str]:
        return lambda number: self._(lang, "Rule %(number)s") % {"number": number}

    # Pass 2: parse ----------------------------------------------------------------------

    def parse_pages(self) -> None:
        to_parse: list[int] = []  # indexes in site.pages
        for number, page in enumerate(self.site.pages):
            if page.source is None:
                continue
            cached = self.cache.entries.get(self.cache.key(page)) if self.cache else None
            if cached is not None:
                self.cached[id(page)] = cached
                page.anchors, page.toc, page.text = cached.anchors, cached.toc, cached.text
            else:
                to_parse.append(number)
        if self.workers > 1 and len(to_parse) >= PARALLEL_BODIES_FROM:
            # forked now, with every cached page's anchors in place
            self.body_workers = BodyWorkers(self, to_parse, self.workers)
            return
        for number in to_parse:
            self.parse_again(self.site.pages[number])

    def parse_body(self, page: Page) -> Document:
        assert page.source is not None
        source = page.source
        doc = parse(
            self.md, source.body, source.body_line, doc_id=slugify(f"{page.kind}-{page.anchor}")
        )
        if page.kind == "rules":
            number_rules(doc, self.rule_label(page.lang))
        elif page.kind == "reply":
            mark_placeholders(doc)
        page.doc = doc
        return doc

    # Pass 3: links and bodies ------------------------------------------------------------

    def resolve_links(self, page: Page) -> None:
        """Store in each link's token the URL it leads to; note what it depended on."""
        assert page.doc is not None and page.source is not None
        for ref in links(page.doc):
            target = self.resolve(page, ref)
            if target is not None:
                ref.token.meta["site_url"] = target

    def needs_other_anchors(self, page: Page) -> bool:
        """Whether a link of the parsed page leads to a heading of another page: resolving
        it needs that page's anchors, known once every body is parsed."""
        assert page.doc is not None
        for ref in links(page.doc):
            parts = urlsplit(ref.target)
            if parts.path and parts.fragment and not (parts.scheme or parts.netloc):
                return True
        return False

    def resolve(self, page: Page, ref: LinkRef) -> str | None:
        """The site-relative URL a link in `page` points to, or None to leave it as written."""
        assert page.source is not None
        href = ref.target
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or href.startswith("/"):
            if parts.netloc and parts.scheme in ("", "http", "https") and not page.is_fallback:
                url = href if parts.scheme else f"https:{href}"
                self.site.external_links.append(ExternalLink(url, page.source.path, ref.line))
            return None
        if not parts.path:
            if parts.fragment and unquote(parts.fragment) not in page.anchors:
                self.link_error(
                    page, ref, f"no heading or anchor '#{parts.fragment}' on this page", "anchors"
                )
            return None
        folder = posixpath.dirname(page.source.rel)
        rel = posixpath.normpath(posixpath.join(folder, unquote(parts.path)))
        if rel.startswith("../") or rel == "..":
            self.link_error(
                page,
                ref,
                f"'{href}' leads out of the language folder; link to a file of the same language",
            )
            return None
        fragment = f"#{parts.fragment}" if parts.fragment else ""
        # what the answer depends on, so a cached body knows when to resolve its links again
        self.depends.update(
            {(page.lang, rel), (self.config.default_language, rel), (str(page.fallback_of), rel)}
        )
        if rel.endswith(".md"):
            target = self.by_rel.get((page.lang, rel))
            if target is None:
                self.missing_page(page, ref, rel)
                return None
            if id(target) in self.unplaced:
                return None  # its URL collision is the error; its anchors were never read
            if parts.fragment and unquote(parts.fragment) not in target.anchors:
                # A fallback page's anchors are in its original's language: lead there.
                original = self.by_rel.get((str(page.fallback_of), rel))
                if page.is_fallback and original and unquote(parts.fragment) in original.anchors:
                    return original.url + fragment
                self.link_error(
                    page,
                    ref,
                    f"'{href}': no heading or anchor '#{parts.fragment}' in {rel}",
                    "anchors",
                )
                # the page is there: lead to it (a link shown broken, if a warning)
                return target.url if target.kind == "reply" else target.url + fragment
            if target.is_fallback and not page.is_fallback:
                self.diags.warning(
                    f"'{href}' is not translated into '{page.lang}' yet; the "
                    "link leads to the untranslated page",
                    page.source.path,
                    ref.line,
                )
            if target.kind == "reply":
                return target.url
            return target.url + fragment
        for lang in (page.lang, self.config.default_language):
            if (lang, rel) in self.asset_rels:
                return f"{lang}/{rel}{fragment}"
        self.link_error(page, ref, f"'{href}': no such file in content/{page.lang}/")
        return None

    def missing_page(self, page: Page, ref: LinkRef, rel: str) -> None:
        assert page.source is not None
        default = self.config.default_language
        if (default, rel) in self.by_rel and self.config.fallback == "none":
            message = (
                f"'{ref.target}' has no '{page.lang}' translation and fallback is "
                "none; translate it or remove the link"
            )
        else:
            message = f"'{ref.target}': no such page in content/{page.lang}/ ({rel})"
        self.link_error(page, ref, message)

    def link_error(self, page: Page, ref: LinkRef, message: str, kind: str = "broken") -> None:
        """Report a broken link as `links.broken` or `links.anchors` says (`kind`). As a
        warning, the site is built with the link marked: a class the theme shows as broken
        and a title saying why; its href stays as written, or leads to the page that lacks
        the anchor."""
        assert page.source is not None
        severity = self.config.links.anchors if kind == "anchors" else self.config.links.broken
        # a page shown untranslated has its original's links: the original reports them
        if not page.is_fallback:
            report = self.diags.error if severity == "error" else self.diags.warning
            report(f"broken link: {message}", page.source.path, ref.line)
        if severity == "error":
            return
        ref.token.attrJoin("class", "broken-link")
        title = self._(page.lang, "Broken link: %(target)s does not exist")
        ref.token.attrSet("title", title % {"target": ref.target})

    def render_bodies(self) -> None:
        changed = self.changed_targets()
        made = self.body_workers.render() if self.body_workers else {}
        for number, page in enumerate(self.site.pages):
            if number in made:
                body, external = made[number]
                page.html, page.listed_html = body.html, body.listed_html
                self.diags.items.extend(body.link_problems)
                self.site.external_links.extend(external)
                self.keep(page, body)
                if self.cache is not None:
                    self.cache.fresh.add((page.lang, page.key))
                continue
            cached = self.cached.get(id(page))
            if cached is not None and cached.targets.isdisjoint(changed):
                page.html, page.listed_html = cached.html, cached.listed_html
                self.diags.items.extend(cached.link_problems)
                self.keep(page, cached)
                continue
            if cached is not None:
                self.parse_body(page)  # a page it links to changed: resolve its links again
            if page.doc is not None:
                self.keep(page, self.render_body(page))
                if self.cache is not None:
                    self.cache.fresh.add((page.lang, page.key))

    def keep(self, page: Page, body: CachedBody) -> None:
        if self.cache is not None:
            self.used[self.cache.key(page)] = body
            self.cache.pages[(page.lang, page.key)] = body

    def render_body(self, page: Page) -> CachedBody:
        """Resolve the links of a parsed page and render its body (and its listed body)."""
        assert page.doc is not None
        reported = len(self.diags.items)
        self.depends = set()
        if not page.is_fallback:  # the original reports its own
            for line, message in page.doc.id_problems():
                self.diags.error(message, page.source.path if page.source else None, line)
        self.resolve_links(page)
        if page.kind in STANDALONE_KINDS:
            page.html = self.render_at(page.doc, page.url)
        if page.kind == "faq":
            page.listed_html = self.render_at(page.doc, f"{page.lang}/faq/")
        elif page.kind == "reply":
            page.listed_html = page.html = self.render_at(page.doc, f"{page.lang}/replies/")
        page.doc = None  # the tokens are no longer needed; keep memory flat
        return CachedBody(
            page.anchors,
            page.toc,
            page.text,
            page.html,
            page.listed_html,
            frozenset(self.depends),
            tuple(self.diags.items[reported:]),
        )

    def parse_again(self, page: Page) -> None:
        doc = self.parse_body(page)
        page.anchors = doc.anchors()
        page.toc = [h for h in doc.headings() if 2 <= h.level <= self.config.markdown.toc_depth]
        page.text = plain_text(doc)

    def link_targets(self) -> dict[tuple[str, str], LinkTarget]:
        """What a link to each (lang, rel) sees: the page's URL and anchors, or an asset."""
        found: dict[tuple[str, str], LinkTarget] = dict.fromkeys(self.asset_rels)
        for key, page in self.by_rel.items():
            found[key] = (page.url, page.anchors, page.is_fallback, page.kind)
        return found

    def changed_targets(self) -> set[tuple[str, str]]:
        """The (lang, rel) whose page or file is new, gone or changed since the cache's build."""
        if self.cache is None:
            return set()
        old, new = self.cache.targets, self.link_targets()
        self.cache.targets = new
        # a comprehension, not the ^ result itself: that set keeps a table sized for every
        # key even when (nearly) empty, and isdisjoint() below walks the table per page
        changed = {key for key in old.keys() ^ new.keys()}
        for key, now in new.items():
            before = old.get(key, now)
            if before is not now and before != now:
                changed.add(key)
        return changed

    def render_at(self, doc: Document, from_url: str) -> str:
        for ref in links(doc):
            site_url = ref.token.meta.get("site_url")
            if site_url is not None:
                ref.token.attrSet(ref.attr, relative_url(from_url, site_url))
        return render(self.md, doc)

    # The rest: FAQ groups, redirects, assets ----------------------------------------------

    def group_faq(self) -> None:
        default = self.config.default_language
        for lang in self.config.languages:
            groups: dict[str | None, list[Page]] = defaultdict(list)
            for entry in self.site.in_language(lang, "faq"):
                groups[entry.group].append(entry)
            made = []
            for key, entries in groups.items():
                source = None
                if key is not None:
                    source = self.faq_group_sources.get((lang, key)) or self.faq_group_sources.get(
                        (default, key)
                    )
                title = (
                    source.meta.title
                    if source
                    else (key.replace("-", " ").capitalize() if key else self._(lang, "General"))
                )
                made.append(
                    (
                        source.meta.weight if source else 0,
                        title,
                        FaqGroup(
                            key,
                            title,
                            source.meta.description if source else "",
                            sorted(entries, key=lambda p: p.sort_key),
                        ),
                    )
                )
            self.site.faq_groups[lang] = [g for _, _, g in sorted(made, key=lambda m: m[:2])]

    def add_redirects(self) -> None:
        for page in list(self.site.pages):
            if page.source is None or page.is_fallback:
                continue
            for alias in page.source.meta.aliases:
                url = normalize_alias(alias)
                other = self.urls.get(url)
                if other is not None:
                    self.diags.error(
                        f"alias '{alias}' is the URL of {_where(other)}; remove "
                        "the alias or move that page",
                        page.source.path,
                        page.source.meta.lines.get("aliases"),
                    )
                    continue
                self.urls[url] = page
                self.site.redirects.append(
                    Redirect(url, page, page.source.path, alias, _line(page, "aliases"))
                )

    def collect_assets(self) -> None:
        self.asset_rels: set[tuple[str, str]] = set()
        for asset in self.sources.assets:
            self.asset_rels.add((asset.lang, asset.rel))
            self.site.assets[f"{asset.lang}/{asset.rel}"] = asset.path


def _sections_first(item: tuple[str, Source]) -> bool:
    return item[1].kind != "section"


def _file(page: Page) -> Path | None:
    return page.source.path if page.source else None


def _line(page: Page, key: str) -> int | None:
    return page.source.meta.lines.get(key) if page.source else None


def _where(page: Page) -> str:
    return shown_path(page.source.path) if page.source else f"the generated page /{page.url}"


# Under this many bodies to parse, forking costs more than it saves.
PARALLEL_BODIES_FROM = 200
ANSWERS_PER_MESSAGE = 100


class BodyWorkers:
    """Forked processes that parse a share of the bodies and report their anchors, then
    resolve their links (knowing every page's anchors) and render them. A body whose links
    need no other page's anchors (most) is rendered as soon as it is parsed; the others keep
    their parsed documents between the two steps (tokens take ten times the memory of the
    HTML). Nothing is parsed twice and no tokens cross processes; what comes back is what
    the cache keeps (CachedBody)."""

    def __init__(self, builder: _SiteBuilder, numbers: list[int], workers: int) -> None:
        self.builder = builder
        context = multiprocessing.get_context("fork")
        self.links: list[Connection] = []
        self.processes: list[BaseProcess] = []
        for share in (numbers[i::workers] for i in range(workers)):
            here, there = context.Pipe()
            process = context.Process(
                target=_body_worker, args=(builder, share, there, os.getpid()), daemon=True
            )
            process.start()
            there.close()
            self.links.append(here)
            self.processes.append(process)
        pages = builder.site.pages
        self.anchors: dict[int, set[str]] = {}
        self.made: dict[int, tuple[CachedBody, list[ExternalLink]]] = {}
        for number, anchors, toc, text, made in self._answers():
            pages[number].anchors, pages[number].toc, pages[number].text = anchors, toc, text
            self.anchors[number] = anchors
            if made is not None:
                self.made[number] = made

    def render(self) -> dict[int, tuple[CachedBody, list[ExternalLink]]]:
        for link in self.links:
            link.send(self.anchors)
        for number, body, external in self._answers():
            self.made[number] = (body, external)
        for process in self.processes:
            process.join()
        return self.made

    def _answers(self) -> Iterator[Any]:
        """One step's answers from every worker (batches of items, then None), read as they
        come: a worker whose pipe is full waits until it is read."""
        waiting = list(self.links)
        while waiting:
            for link in wait(waiting):
                assert isinstance(link, Connection)
                batch = self._receive(link)
                if batch is None:
                    waiting.remove(link)
                else:
                    yield from batch

    def _receive(self, link: Connection) -> Any:
        try:
            answer = link.recv()
        except EOFError:
            answer = ("failed", "a worker process ended without an answer")
        if isinstance(answer, tuple) and answer[:1] == ("failed",):
            for process in self.processes:
                process.kill()
            raise RuntimeError(f"a body worker failed:\n{answer[1]}")
        return answer


def _body_worker(builder: _SiteBuilder, numbers: list[int], link: Connection, parent: int) -> None:
    end_with_parent(parent)

    def rendered(page: Page) -> tuple[CachedBody, list[ExternalLink]]:
        before = len(builder.site.external_links)
        body = builder.render_body(page)
        return body, builder.site.external_links[before:]

    try:
        pages = builder.site.pages
        # answers go in batches: one message for a large share would be held twice at once
        # (its bytes and its objects) on each side
        batch: list[Any] = []
        waiting: list[int] = []  # parsed, to render once every page's anchors are known
        for number in numbers:
            page = pages[number]
            builder.parse_again(page)
            made = None
            if builder.needs_other_anchors(page):
                waiting.append(number)
            else:
                made = rendered(page)
            batch.append((number, page.anchors, page.toc, page.text, made))
            if len(batch) == ANSWERS_PER_MESSAGE:
                link.send(batch)
                batch = []
        link.send(batch)
        link.send(None)
        for number, anchors in link.recv().items():
            pages[number].anchors = anchors
        batch = []
        for number in waiting:
            batch.append((number, *rendered(pages[number])))
            if len(batch) == ANSWERS_PER_MESSAGE:
                link.send(batch)
                batch = []
        link.send(batch)
        link.send(None)
    except BaseException:
        link.send(("failed", traceback.format_exc()))


def build_site(
    config: Config,
    sources: SourceSet,
    ui: UiStrings,
    diags: Diagnostics,
    cache: BodyCache | None = None,
    workers: int = 1,
) -> Site:
    """The site model. With a `cache` (from the previous build of the same config and
    theme), unchanged bodies are reused, and the cache is left holding this build's. With
    `workers` > 1, a large site's bodies are parsed and rendered in that many processes."""
    builder = _SiteBuilder(config, sources, ui, diags, cache, workers)
    reported = len(diags.items)
    if cache is not None:
        cache.fresh, cache.pages = set(), {}
    builder.collect_assets()
    builder.make_pages()
    builder.parse_pages()
    builder.render_bodies()
    builder.group_faq()
    builder.add_redirects()
    if cache is not None:
        cache.entries = builder.used
        cache.builder = builder
        links = {id(d) for d in cache.link_problems()}
        cache.model_problems = [d for d in diags.items[reported:] if id(d) not in links]
    return builder.site


@dataclass
class BodyUpdate:
    """Pages whose bodies `update_bodies` made anew, and how to put the old ones back."""

    pages: list[Page] = field(default_factory=list)  # every page it touched
    saved: list[tuple[Page, Page, CachedBody | None]] = field(default_factory=list)

    def undo(self, cache: BodyCache) -> None:
        for page, before, body in reversed(self.saved):
            page.source, page.anchors, page.toc = before.source, before.anchors, before.toc
            page.text, page.html, page.listed_html = before.text, before.html, before.listed_html
            if body is not None:
                cache.pages[(page.lang, page.key)] = body
            if page.source is not None:
                target = (page.url, page.anchors, page.is_fallback, page.kind)
                cache.targets[(page.lang, page.source.rel)] = target


def update_bodies(
    site: Site, cache: BodyCache, changed: list[Source], diags: Diagnostics
) -> BodyUpdate | None:
    """Patch `site` in place after files changed only in their body text (same file, same
    front matter): parse their pages again (the page and its fallbacks in other languages),
    resolve again the links of pages that lead to a changed heading, and report their link
    problems to `diags`. None, touching nothing, when a change is more than that: build
    the model again. `kbgen serve` uses this to keep a one-article save cheap."""
    builder = cache.builder
    if builder is None or builder.site is not site:
        return None
    pages: list[tuple[Page, Source]] = []
    for source in changed:
        showing = []
        for lang in site.config.languages:
            page = builder.by_rel.get((lang, source.rel))
            if page is not None and page.source is not None and page.source.path == source.path:
                showing.append(page)
        if not showing:
            return None
        old = showing[0].source
        assert old is not None
        if (old.kind, old.group, old.lang, old.meta) != (
            source.kind,
            source.group,
            source.lang,
            source.meta,
        ) or old.meta.lines != source.meta.lines:
            return None
        pages.extend((page, source) for page in showing)

    update = BodyUpdate()

    def save(page: Page) -> None:
        before = replace(page)  # a shallow copy: the fields are replaced, never mutated
        update.saved.append((page, before, cache.pages.get((page.lang, page.key))))
        update.pages.append(page)

    moved: set[tuple[str, str]] = set()  # (lang, rel) whose anchors changed
    for page, source in pages:
        save(page)
        before = page.anchors
        page.source = source
        builder.parse_again(page)
        if page.anchors != before:
            moved.add((page.lang, source.rel))
            cache.targets[(page.lang, source.rel)] = (
                page.url,
                page.anchors,
                page.is_fallback,
                page.kind,
            )
    touched = {id(page) for page, _ in pages}
    if moved:
        for key, body in list(cache.pages.items()):
            page = site.page(*key)
            if page is not None and id(page) not in touched and not body.targets.isdisjoint(moved):
                save(page)
                builder.parse_again(page)
                touched.add(id(page))
    builder.diags = Diagnostics()  # render_body hands the link problems over in the body
    for page in update.pages:
        body = builder.render_body(page)
        cache.pages[(page.lang, page.key)] = body
        cache.entries[cache.key(page)] = body
    diags.items.extend(cache.model_problems)
    diags.items.extend(cache.link_problems())
    return update
