"""What every forked worker process of a build does first: end when its build is gone.

A build killed with SIGKILL cannot stop its workers, and nothing else tells them; a worker
left running would hold memory (and, before output.py drops it, the build lock) for nothing.
"""

from __future__ import annotations

import os
import threading
import time


def end_with_parent(parent: int) -> None:
    """Exit this (forked) process as soon as the process `parent` is gone."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()
