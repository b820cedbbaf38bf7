"""Themes: a chain of folders, the site's own first, ending in a theme kbgen ships."""

from __future__ import annotations

import os
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
        if folder.parent == config.root / "themes":  # the site's own, not a bundled one
            _check_inside_site(folder, config.root, diags)
            if diags.errors:
                raise BuildFailed(diags)
        name = _parent_of(folder, diags)
        if diags.errors:
            raise BuildFailed(diags)
    return Theme(config.theme, tuple(folders))


def _check_inside_site(folder: Path, root: Path, diags: Diagnostics) -> None:
    """Templates, static files and catalogs are read (and static files published) through
    symbolic links: none of a site's theme may lead out of the site's folder, and every
    folder of it must be readable."""
    site = root.resolve()
    real = folder.resolve()
    if not real.is_relative_to(site):
        diags.error(
            f"the theme folder is a symbolic link leading out of the site's folder (to {real}); "
            f"kbgen reads nothing outside {root}: copy the theme into themes/",
            folder,
        )
        return
    seen = {real}
    pending = [folder]
    while pending:
        current = pending.pop()
        try:
            entries = sorted(os.scandir(current), key=lambda e: e.name)
        except OSError as exc:
            diags.error(
                f"cannot read the folder: {exc.strerror or exc}; fix its permissions", current
            )
            continue
        for entry in entries:
            path = Path(entry.path)
            if entry.is_symlink():
                try:
                    target = path.resolve(strict=True)
                except (OSError, RuntimeError):
                    continue  # leads nowhere: nothing is read through it
                if not target.is_relative_to(site):
                    diags.error(
                        f"symbolic link leading out of the site's folder (to {target}); kbgen "
                        "reads nothing outside it: copy the file into the theme instead",
                        path,
                    )
                    continue
                if target.is_dir() and target not in seen:
                    seen.add(target)
                    pending.append(path)
            elif entry.is_dir(follow_symlinks=False):
                pending.append(path)
            elif not os.access(path, os.R_OK):
                diags.error("cannot read the file: permission denied; fix its permissions", path)


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
