"""Themes: a chain of folders, the site's own first, ending in a theme kbgen ships."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kbgen.config import Config, builtin_themes_dir, is_theme_name
from kbgen.diagnostics import BuildFailed, Diagnostics
from kbgen.yamlfile import load_mapping


@dataclass(frozen=True)
class Theme:
    name: str
    folders: tuple[Path, ...]  # most specific first: overrides, then what they extend

    @property
    def template_dirs(self) -> list[Path]:
        return [f / "templates" for f in self.folders if (f / "templates").is_dir()]

    @property
    def static_dirs(self) -> list[Path]:
        return [f / "static" for f in self.folders if (f / "static").is_dir()]

    @property
    def locale_dirs(self) -> list[Path]:
        return [f / "locales" for f in self.folders if (f / "locales").is_dir()]


def find_theme_folder(name: str, site_root: Path) -> Path | None:
    if not is_theme_name(name):  # a path such as ../../etc: never looked for
        return None
    for candidate in (site_root / "themes" / name, builtin_themes_dir() / name):
        if candidate.is_dir():
            return candidate
    return None


def load_theme(config: Config) -> Theme:
    diags = Diagnostics()
    folders: list[Path] = []
    name: str | None = config.theme
    while name is not None:
        folder = find_theme_folder(name, config.root)
        if folder is None:
            known = sorted(p.name for p in builtin_themes_dir().iterdir() if p.is_dir())
            where = config.path if not folders else folders[-1] / "theme.yaml"
            diags.error(
                f"'theme': unknown theme '{name}'; use one of {', '.join(known)} or "
                f"create themes/{name}/ beside config.yaml",
                where,
            )
            raise BuildFailed(diags)
        if folder in folders:
            diags.error(f"themes extend each other in a loop ({name})", folder / "theme.yaml")
            raise BuildFailed(diags)
        folders.append(folder)
        name = _parent_of(folder, diags)
        if diags.errors:
            raise BuildFailed(diags)
    return Theme(config.theme, tuple(folders))


def _parent_of(folder: Path, diags: Diagnostics) -> str | None:
    settings = folder / "theme.yaml"
    if not settings.is_file():
        return None
    loaded = load_mapping(settings.read_text(encoding="utf-8-sig"), what="theme.yaml")
    for problem in loaded.problems:
        diags.error(problem.message, settings, problem.line, problem.column)
    for key in loaded.values:
        if key != "extends":
            diags.error(
                f"unknown key '{key}' (theme.yaml knows: extends)", settings, loaded.lines.get(key)
            )
    parent = loaded.values.get("extends")
    if parent is not None and not isinstance(parent, str):
        diags.error(
            "'extends' must name a theme, such as default", settings, loaded.lines.get("extends")
        )
        return None
    return parent
