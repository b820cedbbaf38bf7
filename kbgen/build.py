"""The whole pipeline: config, sources, site model, rendered pages, output."""

from __future__ import annotations

import gc
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kbgen.cache import (
    CachedBodies,
    CachedBuild,
    CachedSources,
    FileStat,
    cache_files,
    file_stat,
    inputs_snapshot,
    load_bodies,
    load_cache,
    load_sources,
    model_key,
    output_snapshot,
    render_key,
    save_cache,
)
from kbgen.config import Config, load_config
from kbgen.diagnostics import BuildFailed, Diagnostics
from kbgen.output import Staging, build_lock, output_problems
from kbgen.theme import Theme, load_theme
from kbgen.yamlfile import shown

# The stages past the config are imported where they run: a build that finds nothing changed
# (cache.py) returns before needing them, in a fraction of their import time.
if TYPE_CHECKING:
    from kbgen.depends import Reads
    from kbgen.i18n import UiStrings
    from kbgen.render import Renderer
    from kbgen.site import BodyCache, Page, Site
    from kbgen.sources import SourceMemo, SourceSet


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
    from kbgen.comments import attach_discussions
    from kbgen.i18n import load_ui_strings
    from kbgen.site import build_site
    from kbgen.sources import discover_sources
    from kbgen.status import mark_outdated

    ui = load_ui_strings(theme.locale_dirs, config.languages, diags)
    sources = discover_sources(config, diags, drafts=options.drafts, memo=memo)
    site = build_site(config, sources, ui, diags, cache, options.jobs or os.cpu_count() or 1)
    attach_discussions(site, diags)
    outdated = mark_outdated(site)
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
    from kbgen.comments import summary_notes
    from kbgen.render import Renderer, check_output_paths
    from kbgen.site import BodyCache
    from kbgen.sources import SourceMemo

    paths = cache_files(config, output)
    bodies = BodyCache(digest_bodies=True)
    memo = SourceMemo(dict(inputs))  # inputs is empty without a cache: every file is read
    if keys is not None and (kept_bodies := load_bodies(paths.bodies, keys[0])):
        bodies.entries, bodies.targets = kept_bodies.entries, kept_bodies.targets
    if keys is not None and (kept_sources := load_sources(paths.sources, keys[0])):
        memo.known = kept_sources.files
    gc.freeze()  # the caches as loaded
    loaded = model(config, theme, options, diags, bodies if keys else None, memo)
    site = loaded.site
    if diags.failed(options.strict):
        raise BuildFailed(diags)
    gc.freeze()  # the model

    def save_model_caches() -> None:
        """The bodies and sources as this build read them: saved while the search indexes
        are built (this process has nothing else to do then), good whatever happens next."""
        if keys is not None:
            _save(paths.bodies, CachedBodies(keys[0], bodies.entries, bodies.targets), diags)
            _save(paths.sources, CachedSources(keys[0], memo.seen), diags)

    renderer = Renderer(site, loaded.theme, loaded.ui, search_words=paths.words if keys else None)
    check_output_paths(site, renderer.assets, diags)
    if diags.failed(options.strict):
        raise BuildFailed(diags)
    written = _write(renderer, output, cached, keys, options, progress, save_model_caches, diags)
    counts = Counter(p.lang for p in site.standalone_pages)
    result = BuildResult(
        loaded.config,
        site,
        output,
        diags,
        0.0,
        {lang: counts[lang] for lang in config.languages},
        summary_notes(config.comments, config.base_url),
        [p.source.path for p in loaded.outdated if p.source],
        written.made,
        written.kept,
    )
    if keys is not None and written.reads is not None:
        state = CachedBuild(
            keys[0],
            keys[1],
            inputs,
            output_snapshot(output),
            written.files,
            written.reads,
            result.pages_per_language,
            list(diags.items),
            result.notes,
            result.outdated,
        )
        _save(paths.state, state, diags)
    return result


@dataclass
class Written:
    made: int = 0  # files made by this build
    kept: int = 0  # files kept from the last build
    files: dict[str, FileStat] = field(default_factory=dict)  # for the cache: stat as written
    reads: Reads | None = None  # and what they read of the model (depends.py)


def _write(
    renderer: Renderer,
    output: Path,
    cached: CachedBuild | None,
    keys: tuple[str, str] | None,
    options: BuildOptions,
    progress: Progress | None,
    idle: Callable[[], None],
    diags: Diagnostics,
) -> Written:
    """Every file of the site into the output, through a staging folder (output.py)."""
    from kbgen.depends import Reads

    site = renderer.site
    total = len(site.standalone_pages)
    done = 0
    written = Written()

    def on_page() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    with build_lock(output, diags):
        reads = cached.reusable(keys[1], output) if cached and keys else None
        written.reads = reads = reads or Reads(digests=True)
        staging = Staging(output)
        try:
            staging.open()
            workers = options.jobs or os.cpu_count() or 1
            for item in renderer.outputs(on_page, reads, workers, idle):
                if item.data is None:
                    staging.reuse(item.path)
                    written.kept += 1
                else:
                    staging.write(item.path, item.data)
                    written.made += 1
            for rel, path in site.assets.items():
                # content files (images…): kept when the source and the last copy are as
                # they were
                maker = ("asset", str(path), file_stat(path))
                if reads.files.get(rel, (None,))[0] == maker:
                    staging.reuse(rel)
                    written.kept += 1
                else:
                    _copy_asset(staging, rel, path, diags)
                    written.made += 1
                reads.files[rel] = (maker, frozenset())
            stats = dict(staging.stats)
            staging.commit()
        except OSError as exc:
            staging.abort()
            diags.error(
                f"cannot write the site: {exc.strerror or exc} ({exc.filename or output})"
                "; free some disk space or fix the folder's permissions, then build again"
            )
            raise BuildFailed(diags) from None
        except BaseException:
            staging.abort()
            raise
    written.files = {rel: stats[rel] for rel in reads.files if rel in stats}
    return written


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
    path: Path, value: CachedBuild | CachedBodies | CachedSources, diags: Diagnostics
) -> None:
    try:
        save_cache(path, value)
    except OSError as exc:
        message = (
            f"could not save the build cache: {exc.strerror or exc}; the next build will "
            "start from scratch (set cache_dir in config.yaml to a writable folder)"
        )
        if all(d.message != message for d in diags.items):  # once for its three files
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
