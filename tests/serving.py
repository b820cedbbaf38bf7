"""Run `kbgen serve` as a user does, in its own process, on a free port of 127.0.0.1."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.helpers import REPO

STARTUP_SECONDS = 60


@dataclass
class Served:
    url: str
    process: subprocess.Popen[str]
    log: list[str] = field(default_factory=list)  # what serve printed to stderr so far

    def state(self, version: int = -1, error: int = -1) -> dict[str, Any]:
        """The build state, once it differs from (version, error) (a bounded long poll)."""
        query = f"{self.url}__kbgen/events?version={version}&error={error}"
        with urllib.request.urlopen(query, timeout=40) as response:
            return dict(json.loads(response.read()))

    def wait_for(
        self, version: int, error: int, until: Callable[[dict[str, Any]], bool], tries: int = 6
    ) -> dict[str, Any]:
        """Long-poll until `until(state)` holds; each poll is bounded, and so is their number."""
        for _ in range(tries):
            state = self.state(version, error)
            if until(state):
                return state
            version, error = int(state["version"]), int(state["error"])
        raise AssertionError(f"serve never reached the expected state; log: {self.log}")


@contextlib.contextmanager
def kbgen_serve(root: Path, *args: str) -> Iterator[Served]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [sys.executable, "-m", "kbgen", "serve", "--port", "0", *args],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    served = Served("", process)

    def read(stream: object, into: list[str] | None) -> None:
        for line in stream:  # type: ignore[attr-defined]
            if into is not None:
                into.append(line.rstrip("\n"))
            else:
                lines.put(line)

    readers = [
        threading.Thread(target=read, args=(process.stdout, None), daemon=True),
        threading.Thread(target=read, args=(process.stderr, served.log), daemon=True),
    ]
    for reader in readers:
        reader.start()
    try:
        try:
            first = lines.get(timeout=STARTUP_SECONDS)
        except queue.Empty:
            raise AssertionError(f"kbgen serve printed nothing; log: {served.log}") from None
        assert "serving http://127.0.0.1:" in first, first
        served.url = first.split("serving ", 1)[1].split(" ", 1)[0]
        served.wait_for(0, 0, lambda s: s["version"] != 0 or s["error"] != 0)  # first build
        yield served
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        for reader in readers:  # what it printed last is in `log` once the `with` ends
            reader.join(timeout=10)
