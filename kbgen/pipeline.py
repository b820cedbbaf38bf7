"""The stages of a build, in order, in one function (`run`), and the two places its files go:
a staging folder for `kbgen build` (build.py's `DiskSink`), memory for `kbgen serve`
(incremental.py's `MemorySink`), as Zola's build modes.

Both keep a `State` between builds (on disk in the build cache, in memory for serve) and run
the same stages with it: the model reuses the parsed bodies it holds, and the render stage
makes again only the files whose reads of the model changed (depends.py). Nothing decides
elsewhere which files to make.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from kbgen.bodies import BodyCache, BodyUpdate, update_bodies
from kbgen.cache import file_stat
from kbgen.config import Config
from kbgen.depends import Change, ModelPrint, Reads, model_change, page_tokens
from kbgen.diagnostics import BuildFailed, Diagnostics
from kbgen.discussions import attach_discussions
from kbgen.i18n import UiStrings, load_ui_strings
from kbgen.model import build_site
from kbgen.related import RelatedMemo, add_related
from kbgen.render import Output, Renderer, TemplateStore, check_output_paths
from kbgen.search.index import WordsStore
from kbgen.site import Page, Site
from kbgen.sources import Source, SourceMemo, SourceSet, discover_sources
from kbgen.status import mark_outdated
from kbgen.theme import Theme


class Sink(Protocol):
    """Where the output files go."""

    def opened(self, reads: Reads) -> AbstractContextManager[None]:
        """Around the writing: what is written is committed if no exception leaves it.
        `reads` is told of the last build's files the sink no longer holds as made; once
        the files are in, its `files` are every output file of this build."""
        ...

    def put(self, output: Output) -> None:
        """A file made."""
        ...

    def keep(self, paths: Iterator[str]) -> None:
        """The files of the last build that are still right (told once, before `put`; a
        sink that holds them already need not even list them)."""
        ...

    def content_file(self, rel: str, path: Path, kept: bool) -> None:
        """A file of the content folder (an image…) published at `rel`."""
        ...


@dataclass
class State:
    """What one build keeps for the next."""

    reads: Reads  # what each output file read of the model (depends.py)
    bodies: BodyCache | None = None  # parsed bodies, by their text
    memo: SourceMemo | None = None  # build: a file is read again only if its stat changed
    sources: SourceSet | None = None  # serve: the sources, as it keeps them up to date
    edited: list[Source] | None = None  # serve: files changed in place (no file added…)
    site: Site | None = None  # the last good model, while in memory (serve)
    renderer: Renderer | None = None  # kept while the config and the theme are unchanged
    ui: UiStrings | None = None  # serve: loaded with the theme
    method: str = ""  # how the last run made its model: "model" (built) or "bodies" (patched)
    # the articles' counted words and each language's related articles, by what made them
    related: RelatedMemo = field(default_factory=RelatedMemo)
    # serve: the languages whose related articles wait for `relist` (a text edit is shown
    # first; scoring a language's articles again takes a second on a large site)
    related_stale: set[str] = field(default_factory=set)


@dataclass
class Made:
    site: Site
    ui: UiStrings
    outdated: list[Page]  # translations of older originals
    # the model patched in place (serve's edits that move no page): the pages patched (the
    # only ones whose reads can have changed), how to undo it
    patched: list[Page] | None = None
    update: BodyUpdate | None = None
    made: int = 0  # files made (pages, redirects, sitemap…; not the theme's static files)
    kept: int = 0  # files kept from the last build
    changed: list[str] = field(default_factory=list)  # output paths made again

    @property
    def method(self) -> str:
        return "model" if self.update is None else "bodies"


@dataclass(frozen=True)
class Settings:
    drafts: bool = False
    strict: bool = False
    jobs: int = 1  # processes making bodies, pages and search indexes
    search_on_demand: bool = False  # serve: search files are made when first asked for
    search_words: Mapping[str, WordsStore] | None = None  # build: the cache's analyzed search words
    templates: TemplateStore | None = None  # build: the cache's compiled templates
    related_later: bool = False  # serve: a patch leaves related articles to `relist`


def run(
    config: Config,
    theme: Theme,
    state: State,
    sink: Sink,
    diags: Diagnostics,
    settings: Settings,
    progress: Callable[[int, int], None] | None = None,
    model_made: Callable[[Site], None] | None = None,
) -> Made:
    """The stages after config and theme (read by the caller, which decides from them
    whether anything is to be done): UI strings, sources, the site model, its files into
    `sink`. `model_made` is called with the model once it is whole (what `state` keeps of
    its bodies and sources is then final; digested if the record of reads has a print of
    the last model, see _change), before its files are made. Raises
    BuildFailed, the sink left as it was, on any error (or warning, with `strict`); `state`
    then holds what the last good build left in it."""
    renderer = state.renderer

    def start_search(site: Site, ui: UiStrings) -> None:
        """The search indexes started as soon as the pages' texts are known: they run
        beside the rest of the model (related articles…) and the pages. (Serve makes
        them when first asked for.)"""
        nonlocal renderer
        if settings.search_on_demand or diags.failed(settings.strict):
            return
        renderer = renderer or Renderer(
            site, theme, ui, settings.search_on_demand, settings.search_words, settings.templates
        )
        renderer.site = site
        gc.freeze()  # (as below) and forked processes copy no page the collector writes
        renderer.start_search(state.reads, settings.jobs)

    try:
        # the model patched in place: serve's edits that move no page
        made = _patch(state, diags, settings.related_later)
        if made is None:
            ui, _, site, outdated = model(config, theme, diags, settings, state, start_search)
            made = Made(site, ui, outdated)
            state.related_stale.clear()  # every language scored
        state.method = made.method
        gc.freeze()  # the model lives until the next build: not walked by the cyclic collector
        renderer = _rendered(
            made, renderer, theme, state, sink, diags, settings, progress, model_made
        )
    finally:  # the indexes still under way after an error (outputs() takes them otherwise)
        if renderer is not None:
            renderer.stop_search()
    state.site, state.renderer = made.site, renderer
    return made


def _rendered(
    made: Made,
    renderer: Renderer | None,
    theme: Theme,
    state: State,
    sink: Sink,
    diags: Diagnostics,
    settings: Settings,
    progress: Callable[[int, int], None] | None,
    model_made: Callable[[Site], None] | None = None,
) -> Renderer:
    """The model's files into `sink`, by `renderer` (made if None); returns it."""
    try:
        if diags.failed(settings.strict):
            raise BuildFailed(diags)
        renderer = renderer or Renderer(
            made.site,
            theme,
            made.ui,
            settings.search_on_demand,
            settings.search_words,
            settings.templates,
        )
        if made.update is None:  # (a patch moves no page)
            check_output_paths(made.site, renderer.assets, diags)
            if diags.failed(settings.strict):
                raise BuildFailed(diags)
        renderer.site = made.site
        with sink.opened(state.reads):
            _outputs(made, renderer, state, sink, settings, progress, model_made)
    except BuildFailed:
        if made.update is not None and made.patched is not None and state.bodies is not None:
            made.update.undo(made.site, state.bodies)
            mark_outdated(made.site, made.patched)  # the banners as they were
            add_related(made.site, memo=state.related)  # and the related articles
        raise
    return renderer


def _outputs(
    made: Made,
    renderer: Renderer,
    state: State,
    sink: Sink,
    settings: Settings,
    progress: Callable[[int, int], None] | None,
    model_made: Callable[[Site], None] | None = None,
) -> None:
    """Every output file into the sink, those whose reads did not change kept."""
    total, done = len(made.site.standalone_pages), 0

    def on_page(count: int) -> None:
        nonlocal done
        done += count
        if progress is not None:
            progress(done, total)

    def keep(count: int, paths: Iterator[str]) -> None:
        sink.keep(paths)
        made.kept += count

    reads = state.reads
    try:
        change = _change(made, state.site, reads)  # (which may digest the bodies and sources)
        if model_made is not None:
            model_made(made.site)
        outputs = renderer.outputs(on_page, reads, settings.jobs, change, keep)
        for output in outputs:
            sink.put(output)
            if output.path not in renderer.assets.files:
                made.made += 1
                made.changed.append(output.path)
    except BuildFailed:
        state.reads = Reads(reads.digests)  # partly updated: the next build makes everything
        raise
    for rel, path in made.site.assets.items():
        # kept when the source is as it was when the last build published it
        maker = ("asset", str(path), file_stat(path))
        kept = reads.files.get(rel, (None,))[0] == maker
        sink.content_file(rel, path, kept)
        reads.files[rel] = (maker, frozenset())
        made.kept += kept
        made.made += not kept


def _change(made: Made, before: Site | None, reads: Reads) -> Change:
    """What can have changed in the model since the last build's files were made from it:
    what the patch changed, or what differs from the last model still in memory, or (a
    build) from the print of it the build cache kept; without any, anything."""
    if made.patched is not None:
        assert made.update is not None
        tokens = {t for page in made.update.fields for t in page_tokens(page)}
        tokens.update(("table", name) for name in made.update.tables)
        return Change({(p.lang, p.key) for p in made.patched}, tokens)
    if before is not None:
        return model_change(before, made.site)
    if not reads.digests or reads.model is None:
        # nothing to compare with: the print for the next build is made by the caller that
        # saves the record (build.py: beside the files, not before them)
        return Change()
    printed, reads.model = reads.model, ModelPrint.of(made.site)  # what the reads will be of
    return printed.change(reads.model)


def model(
    config: Config,
    theme: Theme,
    diags: Diagnostics,
    settings: Settings,
    state: State,
    texts_known: Callable[[Site, UiStrings], None] | None = None,
) -> tuple[UiStrings, SourceSet, Site, list[Page]]:
    """The stages between the theme and the files: UI strings (unless kept), sources, the
    site model, its discussions, the translations that fell behind their originals.
    `texts_known` is called once the pages and their texts are (what search indexes)."""
    ui = state.ui or load_ui_strings(theme.locale_dirs, config.languages, diags)
    sources = state.sources or discover_sources(
        config, diags, settings.drafts, state.memo, settings.jobs
    )
    site = build_site(config, sources, ui, diags, state.bodies, settings.jobs)
    attach_discussions(site, diags)
    if texts_known is not None:
        texts_known(site, ui)
    add_related(site, memo=state.related)
    return ui, sources, site, mark_outdated(site)


def relist(state: State, sink: Sink, settings: Settings) -> Made | None:
    """After a patch that left them (`Settings.related_later`): the related articles of the
    languages whose texts changed scored again, and the files showing them made again.
    None when nothing waits."""
    site, renderer = state.site, state.renderer
    if not state.related_stale or site is None or renderer is None:
        return None
    languages, state.related_stale = state.related_stale, set()
    before = {id(p): p.related for p in site.pages if p.kind == "article"}
    add_related(site, languages, state.related)
    relisted = [p for p in site.pages if before.get(id(p), p.related) != p.related]
    outdated = [p for p in site.pages if p.outdated_since is not None]
    made = Made(site, renderer.ui, outdated, relisted, BodyUpdate())
    renderer.site = site
    with sink.opened(state.reads):
        _outputs(made, renderer, state, sink, settings, None)
    state.method = made.method
    return made


def _patch(state: State, diags: Diagnostics, related_later: bool = False) -> Made | None:
    """The model patched in place after files changed only in their bodies or in front-matter
    keys that move no page: their pages patched (bodies.update_bodies), their translations'
    banners set again, their discussions named again. None when that is not the case: the
    model is built."""
    site, renderer, bodies = state.site, state.renderer, state.bodies
    if state.edited is None or site is None or renderer is None or bodies is None:
        return None
    update = update_bodies(site, bodies, state.edited, diags)
    if update is None:
        return None
    if update.fields and site.config.comments.schema is not None:
        # a thread is named by its page's title: the discussions made again (what they
        # report is reported with the rest of the model's problems, already in `diags`)
        update.replace_table(site, "discussions", {})
        attach_discussions(site, Diagnostics())
    languages = site.config.languages
    keys = {page.key for page in update.pages}
    translations = [p for key in keys for lang in languages if (p := site.page(lang, key))]
    mark_outdated(site, translations)
    # a text changed: so may the related articles of any article of its language
    texts = {p.lang for p in update.pages if p.kind == "article"}
    relisted = []
    if related_later:
        state.related_stale |= texts
    else:
        related_before = {id(p): p.related for p in site.pages if p.kind == "article"}
        add_related(site, texts, state.related)
        relisted = [p for p in site.pages if related_before.get(id(p), p.related) != p.related]
    outdated = [p for p in site.pages if p.outdated_since is not None]
    patched = [*update.pages, *translations, *relisted]
    return Made(site, renderer.ui, outdated, patched, update)
