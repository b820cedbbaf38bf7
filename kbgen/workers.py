"""Worker processes of a build: what each does first (end when its build is gone), and a
call run in a forked process that inherits the site model (`Forked`).

A build killed with SIGKILL cannot stop its workers, and nothing else tells them; a worker
left running would hold memory (and, before output.py drops it, the build lock) for nothing.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, Generic, TypeVar

T = TypeVar("T")


def end_with_parent(parent: int) -> None:
    """Exit this (forked) process as soon as the process `parent` is gone."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


class Forked(Generic[T]):
    """`call(*args)` run in a process forked from this one, its answer sent back through a
    pipe; `done()` and `result()` as a Future's. The process inherits what the call needs
    (the model, the search documents) instead of receiving it, and starts at once (no
    interpreter to start, no module to import). No thread is left in this process, so that
    later forks (the page workers) copy no lock a thread holds."""

    def __init__(self, call: Callable[..., T], *args: Any) -> None:
        context = multiprocessing.get_context("fork")
        here, there = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_forked_call, args=(call, args, there, os.getpid()), daemon=True
        )
        self._process.start()
        there.close()
        self._link = here

    def done(self) -> bool:
        return self._link.poll()

    def result(self) -> T:
        try:
            ok, answer = self._link.recv()
        except EOFError:
            ok, answer = False, RuntimeError("a worker process ended without an answer")
        self._process.join()
        if not ok:
            raise answer
        return answer

    def stop(self) -> None:
        """The process ended, its answer (if any) dropped."""
        if self._process.is_alive():
            self._process.kill()
        self._process.join()
        self._link.close()


def _forked_call(
    call: Callable[..., Any], args: tuple[Any, ...], link: Connection, parent: int
) -> None:
    end_with_parent(parent)
    try:
        answer: tuple[bool, Any] = (True, call(*args))
    except BaseException as exc:  # sent back whole if it can be, else as text
        text = traceback.format_exc()
        try:
            link.send((False, exc))
        except Exception:
            link.send((False, RuntimeError(f"a worker process failed:\n{text}")))
        return
    link.send(answer)
