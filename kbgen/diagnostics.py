"""Problems found while building, collected by every stage and printed together."""

from __future__ import annotations

import contextlib
import functools
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Severity = Literal["error", "warning"]


def _resolved(folder: Path) -> Path:
    # once per folder, not once per message: a large site can report thousands of warnings
    # (a relative folder depends on the working directory, so it is resolved every time)
    return _resolved_absolute(folder) if folder.is_absolute() else folder.resolve()


@functools.lru_cache(maxsize=8)
def _resolved_absolute(folder: Path) -> Path:
    return folder.resolve()


def shown_path(path: Path) -> str:
    """A file named inside a message, shown as `Diagnostic.format` shows the file it is
    about (relative to the working directory when inside it), so the two read alike."""
    with contextlib.suppress(ValueError):
        return str(Path(os.path.abspath(path)).relative_to(_resolved(Path.cwd())))
    return str(path)


@dataclass(frozen=True)
class Diagnostic:
    severity: Severity
    message: str
    file: Path | None = None
    line: int | None = None
    column: int | None = None

    def format(self, relative_to: Path | None = None) -> str:
        where = ""
        if self.file is not None:
            shown = self.file
            if relative_to is not None:
                with contextlib.suppress(ValueError):  # outside the folder: shown whole
                    shown = Path(os.path.abspath(self.file)).relative_to(_resolved(relative_to))
            where = str(shown)
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        return f"{where}{self.severity}: {self.message}"


@dataclass
class Diagnostics:
    """The one list every stage appends to; `strict` turns warnings into failure."""

    items: list[Diagnostic] = field(default_factory=list)

    def error(
        self,
        message: str,
        file: Path | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.items.append(Diagnostic("error", message, file, line, column))

    def warning(
        self,
        message: str,
        file: Path | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.items.append(Diagnostic("warning", message, file, line, column))

    def extend(self, other: Diagnostics) -> None:
        self.items.extend(other.items)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "warning"]

    def failed(self, strict: bool = False) -> bool:
        # (asked after every stage: a site of thousands of pages has thousands of warnings)
        failing = ("error", "warning") if strict else ("error",)
        return any(d.severity in failing for d in self.items)


class BuildFailed(Exception):
    """Raised by a stage when the problems found so far make going on pointless."""

    def __init__(self, diagnostics: Diagnostics) -> None:
        super().__init__(f"{len(diagnostics.errors)} error(s)")
        self.diagnostics = diagnostics

    def __reduce__(self) -> tuple[type[BuildFailed], tuple[Diagnostics]]:
        # raised in a worker process (render.py), it crosses back to the build by pickle
        return (BuildFailed, (self.diagnostics,))
