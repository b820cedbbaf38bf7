"""The only writer: a staging folder beside the output, swapped in when the build is whole.

A failed or killed build leaves the previous site as it was. kbgen only ever removes what it
wrote itself: its output folders carry a marker listing every file of the build.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import posixpath
import shutil
from collections.abc import Iterator
from pathlib import Path

from kbgen.diagnostics import BuildFailed, Diagnostics

MARKER = ".kbgen-output.json"


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or path.is_relative_to(folder)


def output_problems(output: Path, protected: dict[str, Path], config_dir: Path) -> list[str]:
    """Why `output` must not be used; empty when it may."""
    out = output.expanduser().resolve()
    problems = []
    for label, folder in protected.items():
        folder = folder.resolve()
        if _inside(out, folder) or _inside(folder, out):
            problems.append(
                f"the output folder {out} is, contains or lies inside the {label} "
                f"({folder}); choose a separate folder such as site/"
            )
    home = Path.home().resolve()
    for label, folder in (
        ("the filesystem root", Path("/")),
        ("your home folder", home),
        ("the folder of config.yaml", config_dir.resolve()),
    ):
        if _inside(folder, out):
            problems.append(
                f"the output folder {out} is or contains {label}; choose a "
                "folder of its own such as site/"
            )
    if out.exists() and not out.is_dir():
        problems.append(f"{out} exists and is not a folder; remove it or choose another output")
    elif out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        problems.append(
            f"{out} is not empty and was not made by kbgen; kbgen never deletes "
            "files it did not write: choose an empty or new folder"
        )
    return problems


def _manifest(folder: Path) -> set[str]:
    try:
        data = json.loads((folder / MARKER).read_text(encoding="utf-8"))
        return set(data["files"])
    except (OSError, ValueError, KeyError, TypeError):
        return set()


def _foreign_files(folder: Path) -> list[str]:
    """Files in a kbgen output folder that its last build did not write."""
    known = _manifest(folder) | {MARKER}
    foreign = []
    for dirpath, _dirnames, filenames in os.walk(folder):
        for name in filenames:
            rel = (Path(dirpath) / name).relative_to(folder).as_posix()
            if rel not in known:
                foreign.append(rel)
    return sorted(foreign)


class Staging:
    """Collects a build's files in `.<output>.kbgen-staging-<pid>` beside the output."""

    def __init__(self, output: Path) -> None:
        self.output = output.expanduser().resolve()
        self.folder = self.output.parent / f".{self.output.name}.kbgen-staging-{os.getpid()}"
        self.written: set[str] = set()
        self.stats: dict[str, tuple[int, int]] = {}  # path -> (size, mtime in ns) as written
        self._folders: set[Path] = set()  # made already: one mkdir per folder, not per file

    def open(self) -> None:
        self.output.parent.mkdir(parents=True, exist_ok=True)
        _remove_leftovers(self.output)
        self.folder.mkdir()
        (self.folder / MARKER).write_text('{"files": []}', encoding="utf-8")

    def write(self, rel: str, data: bytes) -> None:
        target = self._claim(rel)
        target.write_bytes(data)
        self._record(rel, target)

    def reuse(self, rel: str, folder: Path) -> None:
        """The file `rel` of `folder` (the output of the last build, which wrote it), linked
        rather than copied: same bytes, same stat, no time spent copying."""
        target = self._claim(rel)
        try:
            os.link(folder / rel, target)
        except OSError:  # a filesystem without hard links
            shutil.copy2(folder / rel, target)
        self._record(rel, target)

    def _record(self, rel: str, target: Path) -> None:
        found = os.stat(target)
        self.stats[posixpath.normpath(rel)] = (found.st_size, found.st_mtime_ns)

    def _claim(self, rel: str) -> Path:
        """Where `rel` goes in the staging folder; refuses paths outside it, and two writes
        of one path."""
        clean = posixpath.normpath(rel)
        if clean.startswith(("../", "/")) or clean in ("..", ".", MARKER):
            raise ValueError(f"refusing to write outside the output folder: {rel!r}")
        if clean in self.written:
            diags = Diagnostics()
            diags.error(
                f"two things want to write /{clean}; give one of them another slug or alias"
            )
            raise BuildFailed(diags)
        self.written.add(clean)
        target = self.folder / clean
        if target.parent not in self._folders:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._folders.add(target.parent)
        return target

    def commit(self) -> None:
        """Swap the staging folder in for the output; the old output goes only if every
        file in it is one kbgen wrote."""
        marker = {"generator": "kbgen", "files": sorted(self.written)}
        (self.folder / MARKER).write_text(json.dumps(marker, indent=0), encoding="utf-8")
        if self.output.exists():
            foreign = _foreign_files(self.output)
            if foreign:
                shown = ", ".join(foreign[:5]) + (" …" if len(foreign) > 5 else "")
                diags = Diagnostics()
                diags.error(
                    f"the output folder holds files kbgen did not write ({shown}); "
                    "move them elsewhere (put files to publish in the theme's static "
                    "folder or in content/)",
                    self.output,
                )
                raise BuildFailed(diags)
            retired = self.output.parent / f".{self.output.name}.kbgen-old-{os.getpid()}"
            os.replace(self.output, retired)
            os.replace(self.folder, self.output)
            shutil.rmtree(retired)
        else:
            os.replace(self.folder, self.output)

    def abort(self) -> None:
        if self.folder.is_dir() and (self.folder / MARKER).is_file():
            shutil.rmtree(self.folder)


def _remove_leftovers(output: Path) -> None:
    """Staging folders of builds that were killed; only kbgen's own (they hold its marker)."""
    for leftover in output.parent.glob(f".{output.name}.kbgen-*-*"):
        pid = leftover.name.rpartition("-")[2]
        if pid.isdigit() and _alive(int(pid)) and int(pid) != os.getpid():
            continue
        if leftover.is_dir() and (leftover / MARKER).is_file():
            if leftover.name.startswith(f".{output.name}.kbgen-old-") and not output.exists():
                os.replace(leftover, output)  # killed between the two renames of a swap
            else:
                shutil.rmtree(leftover)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


_HELD_LOCKS: set[int] = set()  # file descriptors of the build locks this process holds


def _drop_inherited_locks() -> None:
    """In a forked worker: let go of the parent's build locks. A lock belongs to the open
    file, which fork shares; a worker outliving a killed build would otherwise keep the next
    build waiting forever. The descriptor is pointed at /dev/null (not unlocked, which would
    unlock the parent's too, nor closed, since the file object still owns the number)."""
    for descriptor in _HELD_LOCKS:
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, descriptor)
        os.close(null)
    _HELD_LOCKS.clear()


os.register_at_fork(after_in_child=_drop_inherited_locks)


@contextlib.contextmanager
def build_lock(output: Path) -> Iterator[None]:
    """One build at a time per output folder; a second one waits for the first."""
    output = output.expanduser().resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    lock_path = output.parent / f".{output.name}.kbgen-lock"
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        _HELD_LOCKS.add(handle.fileno())
        try:
            yield
        finally:
            _HELD_LOCKS.discard(handle.fileno())
            fcntl.flock(handle, fcntl.LOCK_UN)
