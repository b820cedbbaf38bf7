"""Watching the site's files with watchdog, and turning bursts of events into one batch.

Editors save in many ways: writing in place (several write events), or writing a temporary
file and renaming it over the original (create, modify, move). Either way one save, and a
burst of saves, must give one rebuild: events are collected until none has come for
`quiet` seconds (at most `longest` after the first), then handed over as one set of paths.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

QUIET = 0.05  # seconds without events that end a burst
LONGEST = 0.5  # a burst never holds a rebuild back longer than this
_IGNORED_EVENTS = {"opened", "closed_no_write"}


class Debouncer:
    """Collects paths; a batch is due `quiet` seconds after the last one was added, or
    `longest` seconds after the first. Not thread-safe: the Watcher holds a lock."""

    def __init__(
        self,
        quiet: float = QUIET,
        longest: float = LONGEST,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.quiet, self.longest, self.clock = quiet, longest, clock
        self.paths: set[Path] = set()
        self.first = self.last = 0.0

    def add(self, path: Path) -> None:
        now = self.clock()
        if not self.paths:
            self.first = now
        self.last = now
        self.paths.add(path)

    def wait(self) -> float | None:
        """Seconds until the batch is due (0: now), None when there is nothing."""
        if not self.paths:
            return None
        due = min(self.last + self.quiet, self.first + self.longest)
        return max(0.0, due - self.clock())

    def take(self) -> set[Path]:
        batch, self.paths = self.paths, set()
        return batch


class Watcher:
    """Watches folders and calls `on_batch` (in its own thread, one batch at a time) with
    the paths that changed; paths `relevant` rejects are dropped at once."""

    def __init__(
        self,
        relevant: Callable[[Path], bool],
        on_batch: Callable[[set[Path]], None],
        quiet: float = QUIET,
        longest: float = LONGEST,
    ) -> None:
        self.relevant, self.on_batch = relevant, on_batch
        self.debouncer = Debouncer(quiet, longest)
        self.condition = threading.Condition()
        self.observer: Observer | None = None  # type: ignore[valid-type]
        self.folders: list[tuple[Path, bool]] = []
        self.stopped = False
        self.thread = threading.Thread(target=self._run, name="kbgen-watch", daemon=True)

    def watch(self, recursive: Iterable[Path], flat: Iterable[Path] = ()) -> None:
        """Watch these folders, with their subfolders or (`flat`) without, replacing what
        was watched before; missing folders are skipped."""
        deep = _outermost(sorted({f for f in recursive if f.is_dir()}))
        shallow = sorted(
            {f for f in flat if f.is_dir() and not any(f.is_relative_to(d) for d in deep)}
        )
        wanted = [(f, True) for f in deep] + [(f, False) for f in shallow]
        if wanted == self.folders and self.observer is not None:
            return
        self._stop_observer()
        handler = _Handler(self)
        observer = Observer()
        for folder, with_subfolders in wanted:
            observer.schedule(handler, str(folder), recursive=with_subfolders)
        observer.daemon = True
        observer.start()
        self.observer, self.folders = observer, wanted

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        with self.condition:
            self.stopped = True
            self.condition.notify_all()
        self._stop_observer()
        if self.thread.is_alive():
            self.thread.join(timeout=5)

    def add(self, path: Path) -> None:
        if not self.relevant(path):
            return
        with self.condition:
            self.debouncer.add(path)
            self.condition.notify_all()

    def _stop_observer(self) -> None:
        if self.observer is not None:
            self.observer.stop()
            self.observer.join(timeout=5)
            self.observer = None

    def _run(self) -> None:
        while True:
            with self.condition:
                wait = self.debouncer.wait()
                while not self.stopped and wait != 0.0:
                    self.condition.wait(timeout=1.0 if wait is None else wait)
                    wait = self.debouncer.wait()
                if self.stopped:
                    return
                batch = self.debouncer.take()
            self.on_batch(batch)  # events meanwhile make the next batch


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: Watcher) -> None:
        self.watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in _IGNORED_EVENTS:
            return
        if event.is_directory and event.event_type in ("modified", "closed"):
            return  # a file in it changed: that file has its own event
        for raw in (event.src_path, getattr(event, "dest_path", "")):
            if raw:
                path = raw.decode() if isinstance(raw, bytes) else raw
                self.watcher.add(Path(path))


def _outermost(folders: list[Path]) -> list[Path]:
    """The folders not inside another one of the list (a recursive watch covers those)."""
    kept: list[Path] = []
    for folder in sorted(folders, key=lambda f: (len(f.parts), f)):
        if not any(folder.is_relative_to(k) for k in kept):
            kept.append(folder)
    return kept
