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
from kbgen.i18n import load_ui_strings
from kbgen.output import Staging, build_lock, output_problems
from kbgen.render import Renderer
from kbgen.site import Site, build_site
from kbgen.sources import discover_sources
from kbgen.theme import load_theme


@dataclass
class BuildResult:
    config: Config
    site: Site
    output: Path
    diagnostics: Diagnostics
    seconds: float
    pages_per_language: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # printed after the summary line


@dataclass(frozen=True)
class BuildOptions:
    config_path: Path
    output: Path | None = None
    base_url: str | None = None
    drafts: bool = False
    strict: bool = False


Progress = Callable[[int, int], None]


def build(options: BuildOptions, progress: Progress | None = None) -> BuildResult:
    """Build the site; raise BuildFailed, with every problem found, leaving the old output."""
    started = time.perf_counter()
    diags = Diagnostics()
    config = load_config(options.config_path, options.base_url)
    output = (options.output or config.output_dir).expanduser().resolve()
    theme = load_theme(config)
    protected = {"content folder": config.content_dir}
    for folder in theme.folders:
        if folder.is_relative_to(config.root):
            protected[f"theme folder {folder.name}"] = folder
    problems = output_problems(output, protected, config.root)
    if problems:
        for problem in problems:
            diags.error(problem)
        raise BuildFailed(diags)

    ui = load_ui_strings(theme.locale_dirs, config.languages, diags)
    sources = discover_sources(config, diags, drafts=options.drafts)
    site = build_site(config, sources, ui, diags)
    attach_discussions(site, diags)
    if diags.failed(options.strict):
        raise BuildFailed(diags)

    renderer = Renderer(site, theme, ui)
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
        config,
        site,
        output,
        diags,
        time.perf_counter() - started,
        {lang: counts[lang] for lang in config.languages},
        summary_notes(config.comments, config.base_url),
    )
