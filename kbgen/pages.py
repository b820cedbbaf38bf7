"""Every page of the model and its URL: pages from the sources (translations and fallbacks
included), the pages kbgen makes (home, sections without `_section.md`, FAQ index, replies,
search, 404), then the FAQ groups, the redirects of `aliases` and the content files.

Two pages claiming one URL is an error naming both files; a slug taken from a file or
folder name that `slug:` would refuse is an error on that file or folder.
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kbgen.diagnostics import Diagnostics, shown_path
from kbgen.i18n import UiStrings
from kbgen.markdown import slugify
from kbgen.site import STANDALONE_KINDS, FaqGroup, Page, Redirect, Site, translation_key
from kbgen.sources import FrontMatter, Source, SourceSet, path_piece_problem
from kbgen.urls import normalize_alias


@dataclass
class SiteIndex:
    """The model being built, with what links and URLs are looked up by."""

    site: Site
    by_rel: dict[tuple[str, str], Page] = field(default_factory=dict)  # (lang, source rel)
    urls: dict[str, Page] = field(default_factory=dict)  # standalone pages and redirects
    # pages left out for a URL another page has: links to them are not reported again
    unplaced: set[int] = field(default_factory=set)  # id(page)
    asset_rels: set[tuple[str, str]] = field(default_factory=set)  # (lang, rel) of files
    faq_group_sources: dict[tuple[str, str], Source] = field(default_factory=dict)
    reported: set[tuple[str, str]] = field(default_factory=set)  # files said to share a URL
    named: set[tuple[Path, str]] = field(default_factory=set)  # names checked as slugs


def collect_assets(index: SiteIndex, sources: SourceSet) -> None:
    for asset in sources.assets:
        index.asset_rels.add((asset.lang, asset.rel))
        index.site.assets[f"{asset.lang}/{asset.rel}"] = asset.path


def make_pages(index: SiteIndex, sources: SourceSet, ui: UiStrings, diags: Diagnostics) -> None:
    config = index.site.config
    by_lang: dict[str, dict[str, Source]] = defaultdict(dict)
    for source in sources.pages:
        key = translation_key(source)
        if key in by_lang[source.lang]:
            other = by_lang[source.lang][key]
            diags.error(
                f"two files in '{source.lang}' are the same page ({key}); the other is "
                f"{shown_path(other.path)}: give them different translation_key values",
                source.path,
                source.meta.lines.get("translation_key"),
            )
            continue
        by_lang[source.lang][key] = source
    default = config.default_language
    has_replies = any(s.kind == "reply" for s in sources.pages)
    for lang in config.languages:
        own = by_lang.get(lang, {})
        originals = by_lang.get(default, {})
        # sections first: an article's URL holds its section's slug
        for key, source in sorted(own.items(), key=_sections_first):
            _add_source_page(index, diags, lang, key, source, None)
        if config.fallback == "default" and lang != default:
            for key, source in sorted(originals.items(), key=_sections_first):
                if key not in own and source.kind != "home":
                    _add_source_page(index, diags, lang, key, source, default)
        _add_generated_pages(index, ui, diags, lang, has_replies)


def _stem(source: Source) -> str:
    return source.meta.slug or posixpath.basename(source.rel).removesuffix(".md")


def _section_slug(site: Site, lang: str, folder: str) -> str:
    section = site.page(lang, f"section:{folder}")
    if section is not None and section.source is not None and section.source.meta.slug:
        return section.source.meta.slug
    return folder


def named_slug(index: SiteIndex, diags: Diagnostics, source: Source, folder: bool = False) -> str:
    """The slug a page (or, with `folder`, its section) takes from its file (folder) name
    when it has no `slug:`; a name `slug:` would refuse is an error on the file."""
    name = str(source.group) if folder else _stem(source)
    where = source.path.parent if folder else source.path
    if (folder or not source.meta.slug) and (where, name) not in index.named:
        index.named.add((where, name))
        problem = path_piece_problem(name, allow_slash=False)
        if problem:
            what = "folder" if folder else "file"
            fix = "give its _section.md" if folder else "give it"
            diags.error(
                f"the {what} name gives the URL slug {name!r}, which {problem}; rename the "
                f"{what} or {fix} a 'slug:' in the front matter",
                where,
            )
    return name


def _url_for(index: SiteIndex, diags: Diagnostics, lang: str, source: Source) -> str:
    match source.kind:
        case "home":
            return f"{lang}/"
        case "rules":
            return f"{lang}/rules/"
        case "section":
            if source.meta.slug:
                return f"{lang}/articles/{_stem(source)}/"
            return f"{lang}/articles/{named_slug(index, diags, source, folder=True)}/"
        case "article":
            section = _section_slug(index.site, lang, str(source.group))
            if section == source.group:  # the folder's name, not a slug: that it gave
                named_slug(index, diags, source, folder=True)
            return f"{lang}/articles/{section}/{named_slug(index, diags, source)}/"
        case "faq":
            return f"{lang}/faq/{named_slug(index, diags, source)}/"
        case "reply":
            return f"{lang}/replies/#{slugify(_stem(source))}"
    raise AssertionError(source.kind)


# Front-matter keys a page takes as they are, and that nothing else of the model reads: a
# change to these alone moves no page and changes no other (bodies.update_bodies patches it)
PAGE_FIELDS = ("title", "description", "weight", "date", "updated", "promoted", "icon")


def page_fields(meta: FrontMatter) -> dict[str, Any]:
    """The fields of a page taken from these front-matter keys (PAGE_FIELDS)."""
    return {name: getattr(meta, name) for name in PAGE_FIELDS}


def _add_source_page(
    index: SiteIndex,
    diags: Diagnostics,
    lang: str,
    key: str,
    source: Source,
    fallback_of: str | None,
) -> None:
    if source.kind == "faq_group":
        index.faq_group_sources[(lang, str(source.group))] = source
        return
    meta = source.meta
    page = Page(
        kind=source.kind,
        lang=lang,
        key=key,
        url=_url_for(index, diags, lang, source),
        source=source,
        group=source.group,
        tags=meta.tags,
        comments=meta.comments,
        discussion=meta.discussion,
        fallback_of=fallback_of,
        **page_fields(meta),
    )
    if not _register(index, diags, page):
        index.unplaced.add(id(page))
    index.by_rel[(lang, source.rel)] = page


def _register(index: SiteIndex, diags: Diagnostics, page: Page) -> bool:
    """Add the page to the site; False if another page has its URL (an error)."""
    if page.kind in STANDALONE_KINDS:
        other = index.urls.get(page.url)
        if other is not None:
            # a fallback page repeats its original's collision: reported once
            pair = (_where(page), _where(other))
            if pair not in index.reported:
                index.reported.add(pair)
                diags.error(
                    f"two pages claim the URL /{page.url}: this file and {pair[1]}; "
                    "give one of them another slug",
                    page.source.path if page.source else None,
                    _line(page, "slug"),
                )
            return False
        index.urls[page.url] = page
    index.site.add(page)
    return True


def _add_generated_pages(
    index: SiteIndex, ui: UiStrings, diags: Diagnostics, lang: str, has_replies: bool
) -> None:
    site = index.site
    config = site.config

    def add(kind: str, key: str, url: str, title: str, group: str | None = None) -> None:
        _register(index, diags, Page(kind, lang, key, url, title, group=group))

    if site.page(lang, "home") is None:
        add("home", "home", f"{lang}/", config.site_title(lang))
    folders = {p.group for p in site.in_language(lang, "article")}
    for folder in sorted(f for f in folders if f):
        if site.page(lang, f"section:{folder}") is None:
            diags.warning(
                f"section '{folder}' has no _section.md; add one to give it a title",
                config.content_dir / lang / "articles" / folder,
            )
            title = folder.replace("-", " ").capitalize()
            add("section", f"section:{folder}", f"{lang}/articles/{folder}/", title, folder)
    _ = ui.gettext
    if site.in_language(lang, "faq"):
        add("faq_index", "faq_index", f"{lang}/faq/", _(lang, "Frequently asked questions"))
    if has_replies:
        add("replies", "replies", f"{lang}/replies/", _(lang, "Reply templates"))
    if config.search.enabled:
        # The shareable results page (?q=…); filled in the browser, never indexed.
        add("search", "search", f"{lang}/search/", _(lang, "Search"))
    add("not_found", "not_found", f"{lang}/404.html", _(lang, "Page not found"))


def group_faq(site: Site, index: SiteIndex, ui: UiStrings) -> None:
    default = site.config.default_language
    sources = index.faq_group_sources
    for lang in site.config.languages:
        groups: dict[str | None, list[Page]] = defaultdict(list)
        for entry in site.in_language(lang, "faq"):
            groups[entry.group].append(entry)
        made = []
        for key, entries in groups.items():
            source = None
            if key is not None:
                source = sources.get((lang, key)) or sources.get((default, key))
            title = (
                source.meta.title
                if source
                else (key.replace("-", " ").capitalize() if key else ui.gettext(lang, "General"))
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
        site.faq_groups[lang] = [g for _, _, g in sorted(made, key=lambda m: m[:2])]


def add_redirects(index: SiteIndex, diags: Diagnostics) -> None:
    site = index.site
    for page in list(site.pages):
        if page.source is None or page.is_fallback:
            continue
        for alias in page.source.meta.aliases:
            url = normalize_alias(alias)
            other = index.urls.get(url)
            if other is not None:
                diags.error(
                    f"alias '{alias}' is the URL of {_where(other)}; remove "
                    "the alias or move that page",
                    page.source.path,
                    page.source.meta.lines.get("aliases"),
                )
                continue
            index.urls[url] = page
            site.redirects.append(
                Redirect(url, page, page.source.path, alias, _line(page, "aliases"))
            )


def _sections_first(item: tuple[str, Source]) -> bool:
    return item[1].kind != "section"


def _line(page: Page, key: str) -> int | None:
    return page.source.meta.lines.get(key) if page.source else None


def _where(page: Page) -> str:
    return shown_path(page.source.path) if page.source else f"the generated page /{page.url}"
