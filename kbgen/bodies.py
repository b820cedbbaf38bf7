"""Pages' bodies: each parsed (markdown.py), its links resolved (links.py) and rendered
relative to every page that shows it; the cache of bodies a rebuild reuses, and the patch
`kbgen serve` makes in place when only body text changed."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from markdown_it import MarkdownIt

from kbgen.diagnostics import Diagnostic, Diagnostics
from kbgen.i18n import UiStrings
from kbgen.links import LinkResolver, LinkTarget
from kbgen.markdown import (
    Document,
    create_parser,
    links,
    number_rules,
    parse,
    placeholders,
    plain_text,
    render,
    slugify,
)
from kbgen.pages import PAGE_FIELDS, SiteIndex, group_faq, page_fields
from kbgen.site import STANDALONE_KINDS, Body, Page, Site
from kbgen.sources import Source
from kbgen.urls import relative_url


@dataclass
class CachedBody:
    """What parsing and rendering one page's body produced, reusable while its inputs hold."""

    body: Body
    targets: frozenset[tuple[str, str]]  # the (lang, rel) its links were resolved against
    # what checking its heading ids and resolving its links reported
    link_problems: tuple[Diagnostic, ...]


class BodiesByPage(dict[tuple[str, str], CachedBody]):
    """The last model's bodies by page (language, key), with the pages whose bodies have
    link problems noted apart: every build and every patch reports them all, and a pass
    over every page's body would cost a one-page patch on a large site more than the rest
    of it. Entries are set, never removed."""

    def __init__(self) -> None:
        super().__init__()
        self._places: dict[tuple[str, str], int] = {}  # each key's place in the dict's order
        self._with_problems: set[tuple[str, str]] = set()

    def __setitem__(self, key: tuple[str, str], body: CachedBody) -> None:
        if key not in self._places:
            self._places[key] = len(self._places)
        super().__setitem__(key, body)
        if body.link_problems:
            self._with_problems.add(key)
        else:
            self._with_problems.discard(key)

    def link_problems(self) -> list[Diagnostic]:
        """Every body's link problems, in the order of the pages."""
        keys = sorted(self._with_problems, key=self._places.__getitem__)
        return [d for key in keys for d in self[key].link_problems]


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
        # the last model's bodies by page, what its other stages reported, and its bodies'
        # maker (what update_bodies patches)
        self.pages = BodiesByPage()
        self.model_problems: list[Diagnostic] = []
        self.bodies: Bodies | None = None

    def link_problems(self) -> list[Diagnostic]:
        return self.pages.link_problems()

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


class Bodies:
    """Parses and renders the bodies of one model's pages. A parsed body's tokens are kept
    (`docs`) only until it is rendered: they take about ten times the memory of the HTML."""

    def __init__(self, index: SiteIndex, ui: UiStrings, diags: Diagnostics) -> None:
        self.index, self.ui, self.diags = index, ui, diags
        self.config = index.site.config
        self.md: MarkdownIt = create_parser(self.config.markdown)
        self.links = LinkResolver(index, ui)
        self.docs: dict[int, Document] = {}  # id(page) -> its parsed body, until rendered

    def rule_label(self, lang: str) -> Callable[[int], str]:
        return lambda number: self.ui.gettext(lang, "Rule %(number)s") % {"number": number}

    def parse(self, page: Page) -> Document:
        """Parse the page's body, kept for `render`."""
        assert page.source is not None
        source = page.source
        doc = parse(
            self.md,
            source.body,
            source.body_line,
            doc_id=slugify(f"{page.kind}-{page.anchor}"),
            placeholders=page.kind == "reply",
        )
        if page.kind == "rules":
            number_rules(doc, self.rule_label(page.lang))
        self.docs[id(page)] = doc
        return doc

    def parse_again(self, page: Page) -> None:
        """Parse the page's body and give the page its anchors, table of contents and text."""
        doc = self.parse(page)
        toc = [h for h in doc.headings() if 2 <= h.level <= self.config.markdown.toc_depth]
        page.body = Body(
            toc=toc, text=plain_text(doc), anchors=doc.anchors(), placeholders=placeholders(doc)
        ).with_text_made()

    def render(self, page: Page) -> CachedBody:
        """Resolve the links of a parsed page and render its body (and its listed body)."""
        doc = self.docs.pop(id(page))  # no longer needed once rendered: keep memory flat
        diags = self.diags
        reported = len(diags.items)
        if not page.is_fallback:  # the original reports its own
            for line, message in doc.id_problems():
                diags.error(message, page.source.path if page.source else None, line)
        depends = self.links.resolve_links(page, doc, diags)
        html, listed_html = page.html, page.listed_html
        if page.kind in STANDALONE_KINDS:
            html = self.render_at(doc, page.url)
        if page.kind == "faq":
            listed_html = self.render_at(doc, f"{page.lang}/faq/")
        elif page.kind == "reply":
            listed_html = self.render_at(doc, f"{page.lang}/replies/")
        page.body = page.body.but(html=html, listed_html=listed_html)
        return CachedBody(page.body, frozenset(depends), tuple(diags.items[reported:]))

    def render_at(self, doc: Document, from_url: str) -> str:
        for ref in links(doc):
            site_url = ref.token.meta.get("site_url")
            if site_url is not None:
                ref.token.attrSet(ref.attr, relative_url(from_url, site_url))
        return render(self.md, doc)


@dataclass
class BodyUpdate:
    """Pages `update_bodies` patched, and how to put them back as they were."""

    pages: list[Page] = field(default_factory=list)  # every page it touched
    fields: list[Page] = field(default_factory=list)  # those whose front-matter fields changed
    tables: dict[str, object] = field(default_factory=dict)  # tables of the site replaced
    saved: list[tuple[Page, Page, CachedBody | None]] = field(default_factory=list)

    def replace_table(self, site: Site, name: str, value: object) -> None:
        """Give `site` a new table (`faq_groups`, `discussions`), the old one kept for undo."""
        self.tables.setdefault(name, getattr(site, name))
        setattr(site, name, value)

    def undo(self, site: Site, cache: BodyCache) -> None:
        for page, before, body in reversed(self.saved):
            page.__dict__.update(before.__dict__)
            if body is not None:
                cache.pages[(page.lang, page.key)] = body
            if page.source is not None:
                target = (page.url, page.anchors, page.is_fallback, page.kind)
                cache.targets[(page.lang, page.source.rel)] = target
        for name, value in self.tables.items():
            setattr(site, name, value)
        site.reorder(self.fields)


def update_bodies(
    site: Site, cache: BodyCache, changed: list[Source], diags: Diagnostics
) -> BodyUpdate | None:
    """Patch `site` in place after files changed only in their body text or in front-matter
    keys that move no page (pages.PAGE_FIELDS; same file, every other key and the lines of
    the keys unchanged): give their pages (the page and its fallbacks in other languages)
    the new fields, parse again the bodies that changed, resolve again the links of pages
    that lead to a changed heading, and report their link problems to `diags`. None,
    touching nothing, when a change is more than that: build the model again. `kbgen serve`
    uses this to keep a one-article save cheap."""
    bodies = cache.bodies
    if bodies is None or bodies.index.site is not site:
        return None
    pages: list[tuple[Page, Source]] = []
    for source in changed:
        showing = []
        for lang in site.config.languages:
            page = bodies.index.by_rel.get((lang, source.rel))
            if page is not None and page.source is not None and page.source.path == source.path:
                showing.append(page)
        if not showing:
            return None
        old = showing[0].source
        assert old is not None
        kept = replace(source.meta, **{name: getattr(old.meta, name) for name in PAGE_FIELDS})
        if (old.kind, old.group, old.lang, old.meta) != (
            source.kind,
            source.group,
            source.lang,
            kept,
        ) or old.meta.lines != source.meta.lines:
            return None
        pages.extend((page, source) for page in showing)

    update = BodyUpdate()

    def save(page: Page) -> None:
        before = replace(page)  # a shallow copy: the fields are replaced, never mutated
        update.saved.append((page, before, cache.pages.get((page.lang, page.key))))
        update.pages.append(page)

    moved: set[tuple[str, str]] = set()  # (lang, rel) whose anchors changed
    parsed: list[Page] = []
    for page, source in pages:
        save(page)
        old = page.source
        assert old is not None
        page.source = source
        if old.meta != source.meta:
            page.__dict__.update(page_fields(source.meta))
            update.fields.append(page)
        if (old.body, old.body_line) == (source.body, source.body_line):
            continue  # the body it has is still right
        before = page.anchors
        bodies.parse_again(page)
        parsed.append(page)
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
                bodies.parse_again(page)
                parsed.append(page)
                touched.add(id(page))
    bodies.diags = Diagnostics()  # render hands the link problems over in the body
    for page in parsed:
        body = bodies.render(page)
        cache.pages[(page.lang, page.key)] = body
        cache.entries[cache.key(page)] = body
    if update.fields:
        site.reorder(update.fields)
        if any(page.kind == "faq" for page in update.fields):
            update.replace_table(site, "faq_groups", {})
            group_faq(site, bodies.index, bodies.ui)
    diags.items.extend(cache.model_problems)
    diags.items.extend(cache.link_problems())
    return update
