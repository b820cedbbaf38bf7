"""Every page of the model and its URL: pages from the sources (translations and fallbacks
included), the pages kbgen makes (home, sections without `_section.md`, FAQ index, replies,
search, 404), then the FAQ groups, the redirects of `aliases` and the content files.

Two pages claiming one URL is an error naming both files; a slug taken from a file or
folder name that `slug:` would refuse is an error on that file or folder.
"""

from __future__ import annotations

import posixpath
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kbgen.diagnostics import Diagnostics, shown_path
from kbgen.i18n import UiStrings
from kbgen.site import (
    STANDALONE_KINDS,
    TAGGED_KINDS,
    FaqGroup,
    Page,
    Redirect,
    Site,
    translation_key,
)
from kbgen.sources import FrontMatter, Source, SourceSet, path_piece_problem
from kbgen.urls import normalize_alias, tag_slug


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


def _section_path(
    index: SiteIndex,
    diags: Diagnostics,
    lang: str,
    group: str,
    folder: Path,
    own: Source | None = None,
) -> str:
    """The URL path of a section below /<lang>/articles/: the slug of each section from the
    outermost down to `group` (its `slug:`, or its folder's name), `folder` being its folder
    and `own` its _section.md when the section itself is being placed."""
    parts = group.split("/")
    articles = folder.parents[len(parts) - 1]
    slugs = []
    for depth in range(1, len(parts) + 1):
        section = index.site.page(lang, f"section:{'/'.join(parts[:depth])}")
        source = own if depth == len(parts) and own is not None else None
        if source is None and section is not None:
            source = section.source
        if source is not None and source.meta.slug:
            slugs.append(source.meta.slug)
        else:
            where = articles.joinpath(*parts[:depth])
            slugs.append(_checked_name(index, diags, where, parts[depth - 1], folder=True))
    return "/".join(slugs)


def named_slug(index: SiteIndex, diags: Diagnostics, source: Source) -> str:
    """The slug a page takes from its file name when it has no `slug:`."""
    if source.meta.slug:
        return source.meta.slug
    return _checked_name(index, diags, source.path, _stem(source), folder=False)


def _checked_name(
    index: SiteIndex, diags: Diagnostics, where: Path, name: str, folder: bool
) -> str:
    """A file or folder name used as a slug; one that `slug:` would refuse is an error on it."""
    if (where, name) not in index.named:
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
            path = _section_path(index, diags, lang, str(source.group), source.path.parent, source)
            return f"{lang}/articles/{path}/"
        case "article":
            path = _section_path(index, diags, lang, str(source.group), source.path.parent)
            return f"{lang}/articles/{path}/{named_slug(index, diags, source)}/"
        case "faq":
            return f"{lang}/faq/{named_slug(index, diags, source)}/"
        case "reply":
            return f"{lang}/replies/{named_slug(index, diags, source)}/"
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
    # every folder of articles is a section, and so is each folder above one (outermost first)
    groups = {str(p.group) for p in site.in_language(lang) if p.kind in ("article", "section")}
    folders = {"/".join(g.split("/")[:n]) for g in groups for n in range(1, g.count("/") + 2)}
    for folder in sorted(folders):
        if site.page(lang, f"section:{folder}") is None:
            where = config.content_dir / lang / "articles" / folder
            if where.is_dir():  # not in a language that only shows another's articles
                diags.warning(
                    f"section '{folder}' has no _section.md; add one to give it a title", where
                )
            title = folder.rsplit("/", 1)[-1].replace("-", " ").capitalize()
            path = _section_path(index, diags, lang, folder, where)
            add("section", f"section:{folder}", f"{lang}/articles/{path}/", title, folder)
    _ = ui.gettext
    if site.in_language(lang, "faq"):
        add("faq_index", "faq_index", f"{lang}/faq/", _(lang, "Frequently asked questions"))
    if has_replies:
        add("replies", "replies", f"{lang}/replies/", _(lang, "Reply templates"))
    if config.search.enabled:
        # The shareable results page (?q=…); filled in the browser, never indexed.
        add("search", "search", f"{lang}/search/", _(lang, "Search"))
    add("not_found", "not_found", f"{lang}/404.html", _(lang, "Page not found"))
    tags = tag_names(site, lang)
    if tags:
        add("tags", "tags", f"{lang}/tags/", _(lang, "Tags"))
        for slug, name in sorted(tags.items()):
            add("tag", f"tag:{slug}", f"{lang}/tags/{slug}/", name, slug)


def tag_names(site: Site, lang: str) -> dict[str, str]:
    """{slug: name} of the tags of the language's pages (not untranslated ones): a tag
    written in several ways ("Billing", "billing") is named as most pages write it (then
    the first in code point order)."""
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for page in site.in_language(lang):
        if page.kind in TAGGED_KINDS and not page.is_fallback:
            for tag in page.tags:
                spellings[tag_slug(tag)][tag] += 1
    return {
        slug: min(counted.items(), key=lambda item: (-item[1], item[0]))[0]
        for slug, counted in spellings.items()
    }


def resolve_related(index: SiteIndex, diags: Diagnostics) -> None:
    """Each article's `related:` paths as keys of its language's articles (`chosen_related`).
    A path is relative to the file, as a link; one into another language's folder names
    that article's translation in the page's language. A path to no article, or to one
    without a translation in the page's language, is an error at the `related` line. A page
    shown untranslated shows its original's related articles (related.py)."""
    for page in index.site.pages:
        source = page.source
        if source is None or not source.meta.related or page.is_fallback:
            continue
        line = source.meta.lines.get("related")
        if page.kind != "article":
            diags.error(
                "'related': only articles list related articles; remove it", source.path, line
            )
            continue
        chosen: list[str] = []
        for written in source.meta.related:
            problem, found = _related_target(index, page, written)
            if problem is None and found is page:
                problem = "is this article itself; remove it"
            if problem is not None:
                diags.error(f"'related': {written!r} {problem}", source.path, line)
            elif found is not None and found.key not in chosen:
                chosen.append(found.key)
        page.chosen_related = tuple(chosen)


def _related_target(index: SiteIndex, page: Page, written: str) -> tuple[str | None, Page | None]:
    """(what is wrong with a `related:` path, or None; the article it names in the page's
    language)."""
    assert page.source is not None
    rel = posixpath.normpath(posixpath.join(posixpath.dirname(page.source.rel), written))
    lang = page.lang
    if rel == ".." or rel.startswith("../"):  # into another language folder: content/<lang>/
        other, _, rest = rel[3:].partition("/")
        if other not in index.site.config.languages or not rest or rest.split("/")[0] == "..":
            return "leads out of the language folders; give the path of an article's file", None
        lang, rel = other, rest
    named = index.by_rel.get((lang, rel))
    if named is None or named.is_fallback:
        return f"names no file (content/{lang}/{rel} does not exist or is a draft); fix it", None
    if named.kind != "article":
        return "is not an article: related articles are articles", None
    found = named if named.lang == page.lang else index.site.page(page.lang, named.key)
    if found is None or found.is_fallback:
        return (
            f"is in '{lang}' and has no '{page.lang}' translation; name the '{page.lang}' "
            "article instead, or translate it first",
            None,
        )
    return None, found


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
