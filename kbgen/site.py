"""The site model: every page of every language, its URL, its translations, its body.

Plain data, built by `model.build_site` (pages.py makes the pages and their URLs, bodies.py
their bodies, links.py resolves the links between them). Rendering templates reads this
model and nothing else.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from kbgen.config import Config
from kbgen.markdown import Heading
from kbgen.providers import Discussion
from kbgen.sources import Source
from kbgen.urls import output_path, tag_slug

WORDS_PER_MINUTE = 220
# An article's sidebar lists this many of its section's articles at most, around it (the
# section page lists them all): Zendesk's article page has 10. Each one more is a page
# more to make again when an article's title changes.
SIDEBAR_LINKS = 20

# Kinds of page written as files of their own (each FAQ entry and reply template too).
STANDALONE_KINDS = (
    "home",
    "section",
    "article",
    "faq_index",
    "faq",
    "rules",
    "replies",
    "reply",
    "search",
    "not_found",
    "tags",
    "tag",
)
TAGGED_KINDS = ("article", "faq")  # the pages a tag page lists


@dataclass(frozen=True)
class Body:
    """A page's body, parsed and rendered: replaced as a whole, never changed in place."""

    html: str = ""  # with links relative to the page's own URL
    listed_html: str = ""  # as shown on the page that lists it (FAQ index, replies)
    toc: list[Heading] = field(default_factory=list)
    text: str = ""  # plain text, for search
    anchors: set[str] = field(default_factory=set)
    placeholders: tuple[str, ...] = ()  # a reply template's [placeholders], each once
    # What is made of the text below (its number of words, for the reading time; a digest,
    # by which related articles and search know it) is made once, where the text is made
    # (a body worker, see bodies.py), and travels with the body: page workers, the search
    # documents and related articles would otherwise each count or hash every text again.
    # `but` keeps them; dataclasses.replace, which may change the text, does not.

    @cached_property
    def words(self) -> int:
        return len(self.text.split())

    @cached_property
    def text_digest(self) -> bytes:
        return hashlib.blake2b(self.text.encode(), digest_size=16).digest()

    def with_text_made(self) -> Body:
        """This body, what is made of its text made now (where the text is made)."""
        _ = self.words, self.text_digest
        return self

    def but(self, **parts: Any) -> Body:
        """This body with other `parts` than its text (html, listed_html, anchors…), what
        was made of the text kept (nothing else kept in its dict: depends.py's digest)."""
        if "text" in parts:
            raise ValueError("a body with another text is a new Body")
        body = replace(self, **parts)
        for name in _MADE_OF_TEXT:
            if name in self.__dict__:
                body.__dict__[name] = self.__dict__[name]  # (as cached_property does)
        return body


_MADE_OF_TEXT = ("words", "text_digest")


@dataclass
class Page:
    kind: str  # home, section, article, faq_index, faq, rules, replies, reply, search, not_found,
    # tags (a language's tags), tag (one tag's pages; its `group` is the tag's slug)
    lang: str
    key: str  # shared by all translations of one page
    url: str  # site-relative: "fr/articles/billing/refunds/"
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
    body: Body = field(default_factory=Body)
    # set (by kbgen.status) on a translation made from an older version of its original:
    # the date the original was last changed
    outdated_since: dt.date | None = None
    promoted: bool = False  # listed on the home page
    icon: str | None = None  # a section's icon, by name (the theme's templates/icons/)
    # an article's related articles (keys of pages of its language): those its front matter
    # chose (pages.py), then the closest others (related.py)
    chosen_related: tuple[str, ...] = ()
    related: tuple[str, ...] = ()

    # The body's parts under the names templates (theme overrides too) read them by.
    @property
    def html(self) -> str:
        return self.body.html

    @property
    def listed_html(self) -> str:
        return self.body.listed_html

    @property
    def toc(self) -> list[Heading]:
        return self.body.toc

    @property
    def text(self) -> str:
        return self.body.text

    @property
    def anchors(self) -> set[str]:
        return self.body.anchors

    @property
    def placeholders(self) -> tuple[str, ...]:
        return self.body.placeholders

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
        return max(1, round(self.body.words / WORDS_PER_MINUTE))


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
    _in_order: dict[tuple[str, str | None], list[Page]] = field(
        default_factory=dict, repr=False, compare=False
    )
    _indexed_pages: int = field(default=-1, repr=False, compare=False)
    _tagged: dict[tuple[str, str], list[Page]] | None = field(
        default=None, repr=False, compare=False
    )
    # the pages of each language, and of each kind in it, in order: made on first use (and
    # again when pages were added), as _sections
    _grouped: dict[tuple[str, str | None], list[Page]] = field(
        default_factory=dict, repr=False, compare=False
    )
    _grouped_pages: int = field(default=-1, repr=False, compare=False)

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
        if self._grouped_pages != len(self.pages):
            grouped: dict[tuple[str, str | None], list[Page]] = defaultdict(list)
            for page in self.pages:
                grouped[(page.lang, page.kind)].append(page)
                grouped[(page.lang, None)].append(page)
            self._grouped, self._grouped_pages = dict(grouped), len(self.pages)
        return list(self._grouped.get((lang, kind), ()))

    def sections(self, lang: str) -> list[Page]:
        """The language's top sections, in order (sub-sections are listed by their parent)."""
        found = [p for p in self.in_language(lang, "section") if "/" not in str(p.group)]
        return sorted(found, key=lambda p: p.sort_key)

    def subsections(self, section: Page) -> list[Page]:
        """The sections whose folder is directly inside this section's, in order."""
        inside = f"{section.group}/"
        found = [
            p
            for p in self.in_language(section.lang, "section")
            if str(p.group).startswith(inside) and "/" not in str(p.group)[len(inside) :]
        ]
        return sorted(found, key=lambda p: p.sort_key)

    def parent_sections(self, page: Page) -> list[Page]:
        """The sections an article or a section sits in, outermost first (its own excluded)."""
        if page.kind not in ("article", "section") or not page.group:
            return []
        parts = page.group.split("/")
        depth = len(parts) if page.kind == "article" else len(parts) - 1
        found = (
            self.page(page.lang, f"section:{'/'.join(parts[:n])}") for n in range(1, depth + 1)
        )
        return [p for p in found if p is not None]

    def articles(self, lang: str, group: str | None = None) -> list[Page]:
        if group is not None:  # one section's: kept in order (section_nav reads them too)
            return list(self._section_articles(lang, group))
        return sorted(self.in_language(lang, "article"), key=lambda p: p.sort_key)

    def article_count(self, section: Page) -> int:
        """How many articles a section holds, those of its sub-sections included."""
        inside = f"{section.group}/"
        groups = [section.group] + [
            p.group
            for p in self.in_language(section.lang, "section")
            if str(p.group).startswith(inside)
        ]
        return sum(len(self._section_articles(section.lang, group)) for group in groups)

    def replies(self, lang: str) -> list[Page]:
        return sorted(self.in_language(lang, "reply"), key=lambda p: p.sort_key)

    def _section_articles(self, lang: str, group: str | None) -> list[Page]:
        if self._indexed_pages != len(self.pages):  # pages were added since: start again
            self._sections, self._places = {}, {}
            by_section: dict[tuple[str, str | None], list[Page]] = defaultdict(list)
            for page in self.pages:
                if page.kind == "article":
                    by_section[(page.lang, page.group)].append(page)
            self._in_order = dict(by_section)
            for key in by_section:
                self._sort_section(key)
            self._indexed_pages = len(self.pages)
        return self._sections.get((lang, group), [])

    def _sort_section(self, key: tuple[str, str | None]) -> None:
        pages = sorted(self._in_order[key], key=lambda p: p.sort_key)
        self._sections[key] = pages
        self._places.update((id(p), n) for n, p in enumerate(pages))

    def reorder(self, pages: list[Page]) -> None:
        """These pages' titles or weights changed in place: their sections put in order again."""
        for key in {(p.lang, p.group) for p in pages if p.kind == "article"}:
            if key in self._sections and self._indexed_pages == len(self.pages):
                self._sort_section(key)

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

    def related_pages(self, page: Page) -> list[Page]:
        """The article's related articles, in order (related.py chose them)."""
        return [p for key in page.related if (p := self.page(page.lang, key)) is not None]

    def tag_page(self, lang: str, tag: str) -> Page | None:
        """The page of a tag (as written in front matter) in `lang`, if it has one."""
        return self.page(lang, f"tag:{tag_slug(tag)}")

    def tagged(self, lang: str, slug: str) -> list[Page]:
        """The pages of `lang` (articles, FAQ entries; not untranslated ones) with the tag of
        this slug, in order."""
        return list(self._tag_index().get((lang, slug), ()))

    def _tag_index(self) -> dict[tuple[str, str], list[Page]]:
        # made on first use, as _section_articles (the model never changes its tags)
        if self._tagged is None:
            found: dict[tuple[str, str], list[Page]] = defaultdict(list)
            for page in self.pages:
                if page.kind in TAGGED_KINDS and not page.is_fallback:
                    for each in dict.fromkeys(tag_slug(t) for t in page.tags):
                        found[(page.lang, each)].append(page)
            for pages in found.values():
                pages.sort(key=lambda p: p.sort_key)
            self._tagged = found
        return self._tagged

    def tag_pages(self, lang: str) -> list[Page]:
        """The language's tag pages, by name."""
        return sorted(self.in_language(lang, "tag"), key=lambda p: (p.title.casefold(), p.key))

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
