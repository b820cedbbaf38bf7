"""The whole pipeline: config, sources, site model, rendered pages, output."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kbgen.comments import attach_discussions, summary_notes
from kbgen.config import Config, load_config
from kbgen.diagnostics import BuildFailed, Diagnostics
from kbgen.i18n import UiStrings, load_ui_strings
from kbgen.output import Staging, build_lock, output_problems
from kbgen.render import Renderer
from kbgen.site import BodyCache, Page, Site, build_site
from kbgen.sources import SourceSet, discover_sources
from kbgen.status import mark_outdated
from kbgen.theme import Theme, load_theme


@dataclass
class BuildResult:
    config: Config
    site: Site
    output: Path
    diagnostics: Diagnostics
    seconds: float
    pages_per_language: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # printed after the summary line
    outdated: list[Page] = field(default_factory=list)  # translations of older originals


@dataclass(frozen=True)
class BuildOptions:
    config_path: Path
    output: Path | None = None
    base_url: str | None = None
    drafts: bool = False
    strict: bool = False


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
) -> LoadedSite:
    """The stages after config and theme: UI strings, sources, the site model, staleness."""
    ui = load_ui_strings(theme.locale_dirs, config.languages, diags)
    sources = discover_sources(config, diags, drafts=options.drafts)
    site = build_site(config, sources, ui, diags, cache)
    attach_discussions(site, diags)
    outdated = mark_outdated(site)
    return LoadedSite(config, theme, ui, sources, site, diags, outdated)


def output_folder(options: BuildOptions, config: Config, theme: Theme) -> tuple[Path, list[str]]:
    """The output folder and why it must not be used (empty when it may)."""
    output = (options.output or config.output_dir).expanduser().resolve()
    protected = {"content folder": config.content_dir}
    for folder in theme.folders:
        if folder.is_relative_to(config.root):
            protected[f"theme folder {folder.name}"] = folder
    return output, output_problems(output, protected, config.root)


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

    loaded = model(config, theme, options, diags)
    site = loaded.site
    if diags.failed(options.strict):
        raise BuildFailed(diags)

    renderer = Renderer(site, loaded.theme, loaded.ui)
    total = len(site.standalone_pages)
    done = 0

    def on_page() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    with build_lock(output):
        staging = Staging(output)
        try:
            staging.open()
            for rel, data in renderer.files(on_page):
                staging.write(rel, data)
            for rel, path in site.assets.items():
                staging.write(rel, path.read_bytes())
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
    counts = Counter(p.lang for p in site.standalone_pages)
    return BuildResult(
        loaded.config,
        site,
        output,
        diags,
        time.perf_counter() - started,
        {lang: counts[lang] for lang in config.languages},
        summary_notes(config.comments, config.base_url),
        loaded.outdated,
    )
