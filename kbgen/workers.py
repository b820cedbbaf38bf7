"""Worker processes of a build: what each does first (end when its build is gone), and the
pool of fresh processes for work that needs none of the site model.

A build killed with SIGKILL cannot stop its workers, and nothing else tells them; a worker
left running would hold memory (and, before output.py drops it, the build lock) for nothing.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor


def end_with_parent(parent: int) -> None:
    """Exit this (forked) process as soon as the process `parent` is gone."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def fresh_pool(workers: int) -> ProcessPoolExecutor:
    """Processes started afresh (spawned, not forked), for work sent whole with its task
    (search indexes). A forked process counts the model it inherits in its resident memory
    from the start: hundreds of megabytes on a large site, before it does anything."""
    return ProcessPoolExecutor(
        workers,
        multiprocessing.get_context("spawn"),
        initializer=end_with_parent,
        initargs=(os.getpid(),),
    )
