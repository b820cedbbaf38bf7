"""The only writer: a staging folder beside the output, put in place when the build is whole.

Every file a build makes is written to the staging folder first; nothing in the output changes
until the whole build has succeeded, so a failed build leaves the previous site as it was.
Then either the staging folder is swapped in for the output (a build that made much of the
site), or, when a rebuild made only a few files, those are moved into the output one by one
and the files of the last build that are gone are removed (a swap would have to link every
unchanged file and remove the whole old folder: seconds, for a site of thousands of pages).
kbgen only ever removes what it wrote itself: its output folders carry a marker listing every
file of the build.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import posixpath
import shutil
from collections.abc import Iterator, Mapping
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
    """The files the marker lists; only paths that lie inside the folder count: the marker
    is a file anyone can edit, and kbgen removes and replaces what it lists."""
    try:
        data = json.loads((folder / MARKER).read_text(encoding="utf-8"))
        files = data["files"]
        if not isinstance(files, list):
            return set()
    except (OSError, ValueError, KeyError, TypeError):
        return set()
    inside = InsideOutput(folder)
    return {rel for rel in files if inside(rel)}


class InsideOutput:
    """Whether a path taken from the marker, the cache or the manifest names a file inside
    the output folder: a clean relative path (no '..', '.', empty or absolute parts) none of
    whose folders is a symbolic link (one lstat per folder, remembered: a site has
    thousands)."""

    def __init__(self, output: Path | str) -> None:
        self.root = str(output)
        self.folders: dict[str, bool] = {"": True}

    def __call__(self, rel: object) -> bool:
        if not isinstance(rel, str) or not rel or "\\" in rel or "\x00" in rel:
            return False
        if any(part in ("", ".", "..") for part in rel.split("/")):
            return False
        return self._folder_inside(posixpath.dirname(rel))

    def _folder_inside(self, folder: str) -> bool:
        known = self.folders.get(folder)
        if known is None:
            known = self._folder_inside(posixpath.dirname(folder)) and not os.path.islink(
                f"{self.root}/{folder}"
            )
            self.folders[folder] = known
        return known


def _foreign_files(folder: Path, manifest: set[str], locked: list[str]) -> list[str]:
    """Files in a kbgen output folder that its last build (which wrote `manifest`) did not;
    `locked` gets the folders in which this user can neither add nor remove files."""
    known = manifest | {MARKER}
    return sorted(rel for rel in _files_under(str(folder), "", locked) if rel not in known)


def _files_under(folder: str, prefix: str, locked: list[str]) -> Iterator[str]:
    """The paths of the files under `folder`, relative to it (os.scandir: this walks the
    whole site, and pathlib would spend more time on the names than on the disk)."""
    if not os.access(folder, os.W_OK | os.X_OK):
        locked.append(folder)
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                yield from _files_under(entry.path, prefix + entry.name + "/", locked)
            else:
                yield prefix + entry.name


# A rebuild that made at most this share of the site's files updates the output in place.
IN_PLACE_AT_MOST = 0.1


class Staging:
    """Collects a build's files in `.<output>.kbgen-staging-<pid>` beside the output."""

    def __init__(self, output: Path) -> None:
        self.output = output.expanduser().resolve()
        self.folder = self.output.parent / f".{self.output.name}.kbgen-staging-{os.getpid()}"
        self.written: set[str] = set()  # every file of this build: made or kept
        self.made: list[str] = []  # the files this build wrote into the staging folder
        self.kept: list[str] = []  # the files of the last build it keeps as they are
        self.stats: dict[str, tuple[int, int]] = {}  # path -> (size, mtime in ns) as written
        self._folders: set[Path] = set()  # made already: one mkdir per folder, not per file

    def open(self) -> None:
        self.output.parent.mkdir(parents=True, exist_ok=True)
        _remove_leftovers(self.output)
        self.folder.mkdir()
        (self.folder / MARKER).write_text('{"files": []}', encoding="utf-8")

    def write(self, rel: str, data: bytes) -> None:
        clean = self._claim(rel)
        target = self._staged(clean)
        target.write_bytes(data)
        self.made.append(clean)
        self._record(clean, target)

    def copy(self, rel: str, source: Path) -> None:
        """The file `source` as `rel`, copied a piece at a time: an asset may be larger than
        the memory (a video, a disk image)."""
        clean = self._claim(rel)
        target = self._staged(clean)
        shutil.copyfile(source, target)
        self.made.append(clean)
        self._record(clean, target)

    def reuse(self, rel: str) -> None:
        """The file `rel` of the output as the last build wrote it: it stays as it is (linked
        into the staging folder if that is swapped in: same bytes, same stat, no copying)."""
        clean = self._claim(rel)
        self.kept.append(clean)
        self._record(clean, f"{self.output}/{clean}")  # a string: no Path made per file

    def _record(self, rel: str, target: Path | str) -> None:
        found = os.stat(target)
        self.stats[rel] = (found.st_size, found.st_mtime_ns)

    def _claim(self, rel: str) -> str:
        """`rel` made clean; refuses paths outside the output folder, and two writes of one
        path."""
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
        return clean

    def _staged(self, rel: str) -> Path:
        target = self.folder / rel
        if target.parent not in self._folders:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._folders.add(target.parent)
        return target

    def commit(self) -> None:
        """Put the build in place of the output; the old output's files go only if every
        file in it is one kbgen wrote."""
        marker = {"generator": "kbgen", "files": sorted(self.written)}
        if not self.output.exists():
            (self.folder / MARKER).write_text(json.dumps(marker, indent=0), encoding="utf-8")
            os.replace(self.folder, self.output)
            return
        last_build = _manifest(self.output)
        locked: list[str] = []
        foreign = _foreign_files(self.output, last_build, locked)
        if locked:
            # found before anything moves: a swap would have put the new site in and then
            # failed to remove the old one (made by `sudo kbgen build`, say)
            shown = ", ".join(locked[:3]) + (" …" if len(locked) > 3 else "")
            diags = Diagnostics()
            diags.error(
                f"cannot replace the last build: kbgen may not remove or add files in {shown} "
                "(another user's, or read-only); give the output folder back to yourself "
                f"(sudo chown -R $USER {self.output}) or remove it, then build again",
                self.output,
            )
            raise BuildFailed(diags)
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
        if len(self.made) <= IN_PLACE_AT_MOST * len(self.written) and self._fits_in_place():
            self._update_in_place(marker, last_build)
        else:
            self._swap(marker)

    def _swap(self, marker: Mapping[str, object]) -> None:
        for rel in self.kept:
            target = self._staged(rel)
            try:
                os.link(self.output / rel, target)
            except OSError:  # a filesystem without hard links
                shutil.copy2(self.output / rel, target)
        (self.folder / MARKER).write_text(json.dumps(marker, indent=0), encoding="utf-8")
        retired = self.output.parent / f".{self.output.name}.kbgen-old-{os.getpid()}"
        os.replace(self.output, retired)
        try:
            os.replace(self.folder, self.output)
        except OSError:
            os.replace(retired, self.output)  # as it was: the error says so
            raise
        # the new site is in place: a last build that cannot all be removed (checked in
        # commit(); this is for what changed since) is left for the next build to try again
        shutil.rmtree(retired, ignore_errors=True)

    def _fits_in_place(self) -> bool:
        """No file made by this build stands where the output has a folder, or below a
        path that is a file there (a page that became a folder, say): swap those."""
        for rel in self.made:
            if (self.output / rel).is_dir():
                return False
            folder = posixpath.dirname(rel)
            while folder:
                path = self.output / folder
                if path.is_dir():
                    break
                if path.exists() or path.is_symlink():
                    return False
                folder = posixpath.dirname(folder)
        return True

    def _update_in_place(self, marker: Mapping[str, object], last_build: set[str]) -> None:
        """Move the files made into the output, then remove those of the last build that
        this one did not make. Each file is replaced whole (a rename); the marker lists the
        old and new files together while both may be there, so that a build killed in
        between leaves nothing that looks foreign to the next one."""
        gone = sorted(last_build - self.written)
        for rel in self.made:  # folders first: the renames below should not fail half-way
            (self.output / rel).parent.mkdir(parents=True, exist_ok=True)
        both = {"generator": "kbgen", "files": sorted(self.written | set(gone))}
        self._put_marker(both)
        for rel in self.made:
            os.replace(self.folder / rel, self.output / rel)
        inside = InsideOutput(self.output)
        for rel in gone:
            if not inside(rel):  # checked in _manifest(); folders may have changed since
                continue
            (self.output / rel).unlink(missing_ok=True)
            _remove_empty_parents(self.output, rel)
        self._put_marker(marker)
        shutil.rmtree(self.folder)

    def _put_marker(self, marker: Mapping[str, object]) -> None:
        # written beside the staging folder's own marker, which stays: it is what tells
        # abort() and the next build that the staging folder is kbgen's to remove
        staged = self.folder / f"{MARKER}.next"
        staged.write_text(json.dumps(marker, indent=0), encoding="utf-8")
        os.replace(staged, self.output / MARKER)

    def abort(self) -> None:
        if self.folder.is_dir() and (self.folder / MARKER).is_file():
            shutil.rmtree(self.folder)


def _remove_empty_parents(output: Path, rel: str) -> None:
    """The folders that held a removed file, if nothing is left in them."""
    folder = posixpath.dirname(rel)
    while folder:
        try:
            os.rmdir(output / folder)
        except OSError:  # not empty (or already gone)
            return
        folder = posixpath.dirname(folder)


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
                # not the output: one that cannot be removed (another user's files) costs
                # disk space, and must not stop every later build
                shutil.rmtree(leftover, ignore_errors=True)


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
    unlock the parent's too, nor closed, since the lock's code still owns the number)."""
    for descriptor in _HELD_LOCKS:
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, descriptor)
        os.close(null)
    _HELD_LOCKS.clear()


os.register_at_fork(after_in_child=_drop_inherited_locks)


@contextlib.contextmanager
def build_lock(output: Path, diags: Diagnostics | None = None) -> Iterator[None]:
    """One build at a time per output folder; a second one waits for the first. BuildFailed
    (added to `diags`) if the folder beside the output cannot be written."""
    output = output.expanduser().resolve()
    lock_path = output.parent / f".{output.name}.kbgen-lock"
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        # opened for reading, which locks as well: the file may be another user's (made by
        # `sudo kbgen build`), whom this build must wait for all the same
        descriptor = os.open(lock_path, os.O_RDONLY | os.O_CREAT, 0o644)
    except OSError as exc:
        diags = diags if diags is not None else Diagnostics()
        diags.error(
            f"cannot write the site: {exc.strerror or exc} ({exc.filename or output.parent}); "
            "kbgen writes the output and a staging folder beside it: fix the permissions "
            "of that folder or choose another output folder"
        )
        raise BuildFailed(diags) from None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        _HELD_LOCKS.add(descriptor)
        try:
            yield
        finally:
            _HELD_LOCKS.discard(descriptor)
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)
