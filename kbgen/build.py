"""The whole pipeline: config, sources, site model, rendered pages, output."""

from __future__ import annotations

import gc
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from kbgen.cache import (
    CachedBodies,
    CachedBuild,
    CachedReads,
    CachedSources,
    CachedTemplates,
    CacheFiles,
    FileStat,
    Layer,
    cache_files,
    inputs_snapshot,
    load_bodies,
    load_cache,
    load_reads,
    load_sources,
    model_key,
    new_build_id,
    output_snapshot,
    render_key,
    save_cache,
    save_layered,
)
from kbgen.config import Config, load_config
from kbgen.diagnostics import BuildFailed, Diagnostic, Diagnostics
from kbgen.output import Staging, build_lock, output_problems
from kbgen.theme import Theme, load_theme
from kbgen.yamlfile import shown

# The stages past the config are imported where they run: a build that finds nothing changed
# (cache.py) returns before needing them, in a fraction of their import time.
if TYPE_CHECKING:
    from kbgen.bodies import BodyCache
    from kbgen.depends import ModelPrint, Reads
    from kbgen.i18n import UiStrings
    from kbgen.related import RelatedMemo
    from kbgen.render import Output
    from kbgen.site import Page, Site
    from kbgen.sources import ReadResult, SourceMemo, SourceSet


@dataclass
class BuildResult:
    config: Config
    site: Site | None  # None when nothing changed since the last build (nothing was done)
    output: Path
    diagnostics: Diagnostics
    seconds: float
    pages_per_language: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # printed after the summary line
    outdated: list[Path] = field(default_factory=list)  # translations of older originals
    written: int = 0  # files made by this build
    kept: int = 0  # files kept from the last build (the cache found them unchanged)


@dataclass(frozen=True)
class BuildOptions:
    config_path: Path
    output: Path | None = None
    base_url: str | None = None
    drafts: bool = False
    strict: bool = False
    cache: bool = True  # use and update the build cache (cache.py)
    jobs: int | None = None  # processes making pages and search indexes; None: one per core


@dataclass
class LoadedSite:
    """Everything up to the site model: what `build` renders and `check` checks."""

    config: Config
    theme: Theme
    ui: UiStrings
    sources: SourceSet
    site: Site
    diagnostics: Diagnostics
    outdated: list[Page]


Progress = Callable[[int, int], None]


def load_site(options: BuildOptions, diags: Diagnostics | None = None) -> LoadedSite:
    """Config, theme, UI strings, sources and the site model, writing nothing. Problems go
    to the diagnostics (check them with `failed()`); a broken config or theme raises
    BuildFailed."""
    config = load_config(options.config_path, options.base_url)
    return model(config, load_theme(config), options, diags or Diagnostics())


def model(
    config: Config,
    theme: Theme,
    options: BuildOptions,
    diags: Diagnostics,
    cache: BodyCache | None = None,
    memo: SourceMemo | None = None,
) -> LoadedSite:
    """The stages after config and theme: UI strings, sources, the site model, staleness."""
    from kbgen.depends import Reads
    from kbgen.pipeline import Settings, State
    from kbgen.pipeline import model as stages

    jobs = options.jobs or os.cpu_count() or 1
    state = State(Reads(), cache, memo)
    ui, sources, site, outdated = stages(
        config, theme, diags, Settings(options.drafts, jobs=jobs), state
    )
    return LoadedSite(config, theme, ui, sources, site, diags, outdated)


def output_folder(options: BuildOptions, config: Config, theme: Theme) -> tuple[Path, list[str]]:
    """The output folder and why it must not be used (empty when it may)."""
    given = options.output or config.output_dir
    where = "--output" if options.output else f"output_dir (in {config.path.name})"
    if "\0" in str(given):  # the system cuts a path there: never what was meant
        return given, [f"{where}: a folder name cannot hold a NUL character (\\0)"]
    protected = {"content folder": config.content_dir, "build cache (cache_dir)": config.cache_dir}
    for folder in theme.folders:
        if folder.is_relative_to(config.root):
            protected[f"theme folder {folder.name}"] = folder
    try:
        output = given.expanduser().resolve()
        return output, output_problems(output, protected, config.root)
    except OSError as exc:  # a name too long for the system, a folder it may not enter…
        reason = exc.strerror or str(exc)
        return given, [f"{where}: cannot use {shown(str(given))} ({reason}); choose another folder"]


def build(options: BuildOptions, progress: Progress | None = None) -> BuildResult:
    """Build the site; raise BuildFailed, with every problem found, leaving the old output."""
    started = time.perf_counter()
    diags = Diagnostics()
    config = load_config(options.config_path, options.base_url)
    theme = load_theme(config)
    output, problems = output_folder(options, config, theme)
    if problems:
        for problem in problems:
            diags.error(problem)
        raise BuildFailed(diags)

    keys = _cache_keys(config, theme, options)
    cached = load_cache(cache_files(config, output).state) if keys is not None else None
    # taken before reading: a file saved during the build makes the next build look again
    inputs = inputs_snapshot(config, theme) if keys is not None else []
    if cached is not None and keys and cached.up_to_date(keys[0], keys[1], inputs, output):
        return _unchanged(cached, config, output, options, started)

    # What is made from here on lives until the build ends (the caches as loaded, then the
    # model): frozen as it comes, so that the cyclic collector does not walk it again and
    # again (a fifth of a large build's time) nor touch the memory pages that forked workers
    # share with this process.
    try:
        result = _build(options, progress, config, theme, output, keys, cached, inputs, diags)
    finally:
        gc.unfreeze()
    result.seconds = time.perf_counter() - started
    return result


def _build(
    options: BuildOptions,
    progress: Progress | None,
    config: Config,
    theme: Theme,
    output: Path,
    keys: tuple[str, str] | None,
    cached: CachedBuild | None,
    inputs: list[tuple[str, FileStat | None]],
    diags: Diagnostics,
) -> BuildResult:
    """The build once the cache had no shortcut to offer: the model, the files, the cache."""
    from kbgen.bodies import BodyCache
    from kbgen.depends import Reads
    from kbgen.pipeline import Settings, State, run
    from kbgen.providers import summary_notes
    from kbgen.search.pagefind import csp_notes
    from kbgen.sources import SourceMemo
    from kbgen.support import support_notes
    from kbgen.workers import Forked

    paths = cache_files(config, output)
    bodies = BodyCache(digest_bodies=True)
    memo = SourceMemo(dict(inputs))  # inputs is empty without a cache: every file is read
    state = State(Reads(digests=True), bodies if keys else None, memo)
    layers: dict[Path, Layer] = {}  # what the bodies and sources were loaded from
    # the caches make millions of objects and no garbage: not collected while they are
    # loaded (each collection would walk all of them), frozen once they are
    collecting = gc.isenabled()
    gc.disable()
    if keys is not None and (loaded_bodies := load_bodies(paths.bodies, keys[0])):
        kept_bodies, layers[paths.bodies] = loaded_bodies
        bodies.entries, bodies.targets = kept_bodies.entries, kept_bodies.targets
        state.related = kept_bodies.related
    if keys is not None and (loaded_sources := load_sources(paths.sources, keys[0])):
        kept_sources, layers[paths.sources] = loaded_sources
        memo.known = kept_sources.files
    if keys is not None and (reads := load_reads(paths.reads, cached, keys[1])):
        state.reads = reads
    gc.freeze()  # the caches as loaded
    if collecting:
        gc.enable()

    sink = DiskSink(output, cached, diags)
    words = paths.words if keys else None
    settings = Settings(options.drafts, options.strict, options.jobs or os.cpu_count() or 1)
    settings = replace(settings, search_words=words, templates=paths.templates if keys else None)
    saving: Forked[Saved] | None = None
    printed: ModelPrint | None = None  # the model's print, if the record of reads had none

    def save_model_caches(site: Site) -> None:
        """The bodies and sources as this build read them, saved once the model is made
        (good whatever happens next), with the model's print made first if the record of
        reads has none (its digests of bodies and sources are then saved with them). All
        of them (no cache was loaded) with more than one job: in a process of their own
        while the files are made, not by this one alone at the end."""
        nonlocal saving, printed
        if keys is None:
            return
        unprinted = site if state.reads.model is None else None
        what = (paths, keys[0], bodies, memo.seen, state.related, layers, unprinted)
        if settings.jobs > 1 and paths.bodies not in layers:  # (else only the changes)
            saving = Forked(_save_model_caches, *what)
        else:
            found, printed = _save_model_caches(*what)
            _add_new(diags, found)

    try:
        made = run(config, theme, state, sink, diags, settings, progress, save_model_caches)
    finally:  # (a failed build waits for it too: no cache file is left half written)
        if saving is not None:
            found, printed = saving.result()
            _add_new(diags, found)
    site = made.site
    counts = Counter(p.lang for p in site.standalone_pages)
    result = BuildResult(
        config,
        site,
        output,
        diags,
        0.0,
        {lang: counts[lang] for lang in config.languages},
        summary_notes(config.comments, config.base_url)
        + support_notes(config.feedback, config.announcement)
        + csp_notes(config.search.engine, config.search.enabled),
        [p.source.path for p in made.outdated if p.source],
        len(sink.stats) - made.kept,
        made.kept,
    )
    if keys is not None:
        if printed is not None:
            state.reads.model = printed
        state.reads.prune()
        files = {rel: sink.stats[rel] for rel in state.reads.files if rel in sink.stats}
        build_id = new_build_id()
        _save(paths.reads, CachedReads(build_id, state.reads), diags)
        if (compiled := paths.templates.to_save()) is not None:
            _save(paths.templates.path, compiled, diags)
        cache = CachedBuild(
            keys[0],
            keys[1],
            inputs,
            output_snapshot(output),
            files,
            build_id,
            result.pages_per_language,
            list(diags.items),
            result.notes,
            result.outdated,
        )
        _save(paths.state, cache, diags)
    return result


class DiskSink:
    """The files into the output folder, through a staging folder (output.py)."""

    def __init__(self, output: Path, cached: CachedBuild | None, diags: Diagnostics) -> None:
        self.output, self.cached, self.diags = output, cached, diags
        self.staging = Staging(output)
        self.stats: dict[str, FileStat] = {}  # for the cache: each file's stat as written

    @contextmanager
    def opened(self, reads: Reads) -> Iterator[None]:
        with build_lock(self.output, self.diags):
            if self.cached is not None:
                self.cached.intact(reads, self.output)  # once no other build can write
            staging = self.staging
            try:
                staging.open()
                yield
                self.stats = dict(staging.stats)
                staging.commit()
            except OSError as exc:
                staging.abort()
                self.diags.error(
                    f"cannot write the site: {exc.strerror or exc} ({exc.filename or self.output})"
                    "; free some disk space or fix the folder's permissions, then build again"
                )
                raise BuildFailed(self.diags) from None
            except BaseException:
                staging.abort()
                raise

    def put(self, output: Output) -> None:
        self.staging.write(output.path, output.data)

    def keep(self, paths: Iterator[str]) -> None:
        for path in paths:
            self.staging.reuse(path)

    def content_file(self, rel: str, path: Path, kept: bool) -> None:
        if kept:
            self.staging.reuse(rel)
        else:
            _copy_asset(self.staging, rel, path, self.diags)


def _copy_asset(staging: Staging, rel: str, path: Path, diags: Diagnostics) -> None:
    """A content file copied in, a piece at a time; one that cannot be read is its own error,
    not the output's."""
    try:
        staging.copy(rel, path)
    except OSError as exc:
        if exc.filename is None or Path(exc.filename) != path:
            raise  # the output's problem, reported as such by the caller
        diags.error(f"cannot read the file: {exc.strerror or exc}; fix its permissions", path)
        raise BuildFailed(diags) from None


def _save(
    path: Path, value: CachedBuild | CachedReads | CachedTemplates, diags: Diagnostics
) -> None:
    try:
        save_cache(path, value)
    except OSError as exc:
        _unsaved(path, exc, diags)


def _save_layered(
    path: Path, value: CachedBodies | CachedSources, layer: Layer | None, diags: Diagnostics
) -> None:
    try:
        save_layered(path, value, layer)
    except OSError as exc:
        _unsaved(path, exc, diags)


# what _save_model_caches gives back: what could not be saved, the model's print if asked
Saved = tuple[list[Diagnostic], "ModelPrint | None"]


def _save_model_caches(
    paths: CacheFiles,
    key: str,
    bodies: BodyCache,
    sources: dict[str, tuple[FileStat, ReadResult]],
    related: RelatedMemo,
    layers: dict[Path, Layer],
    unprinted: Site | None,
) -> Saved:
    """The print of `unprinted` if given (ModelPrint), then the parsed bodies (with the
    related articles' memo) and the sources saved, each as changes to the layer it was
    loaded from; what could not be saved, as warnings."""
    from kbgen.depends import ModelPrint

    printed = ModelPrint.of(unprinted) if unprinted is not None else None
    found = Diagnostics()
    kept = CachedBodies(key, bodies.entries, bodies.targets, related)
    _save_layered(paths.bodies, kept, layers.get(paths.bodies), found)
    _save_layered(paths.sources, CachedSources(key, sources), layers.get(paths.sources), found)
    return found.items, printed


def _add_new(diags: Diagnostics, found: list[Diagnostic]) -> None:
    diags.items += [d for d in found if d not in diags.items]


def _unsaved(path: Path, exc: OSError, diags: Diagnostics) -> None:
    message = (
        f"could not save the build cache: {exc.strerror or exc}; the next build will "
        "start from scratch (set cache_dir in config.yaml to a writable folder)"
    )
    if all(d.message != message for d in diags.items):  # once for its files
        diags.warning(message, path.parent)


def _cache_keys(config: Config, theme: Theme, options: BuildOptions) -> tuple[str, str] | None:
    """(model key, render key) of this build; None when it keeps no cache."""
    if not options.cache:
        return None
    model_digest = model_key(config, theme, options.drafts)
    return model_digest, render_key(model_digest, theme)


def _unchanged(
    cached: CachedBuild, config: Config, output: Path, options: BuildOptions, started: float
) -> BuildResult:
    """Nothing the build reads changed, and the output is as the last build left it."""
    diags = Diagnostics(list(cached.diagnostics))
    if diags.failed(options.strict):
        raise BuildFailed(diags)
    return BuildResult(
        config,
        None,
        output,
        diags,
        time.perf_counter() - started,
        dict(cached.pages_per_language),
        list(cached.notes),
        list(cached.outdated),
        0,
        len(cached.files),
    )
