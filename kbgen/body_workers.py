"""The model's costly part, the Markdown bodies, shared out among forked processes."""

from __future__ import annotations

import multiprocessing
import os
import traceback
from collections.abc import Iterator
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

from kbgen.bodies import Bodies, CachedBody
from kbgen.links import needs_other_anchors
from kbgen.site import ExternalLink, Page
from kbgen.workers import end_with_parent

# Under this many bodies to parse, forking costs more than it saves.
PARALLEL_BODIES_FROM = 200
ANSWERS_PER_MESSAGE = 100
BODIES_PER_TASK = 16  # what a worker takes at a time: none waits long for the other at the end


class BodyWorkers:
    """Forked processes that parse the bodies (a few at a time, each taking more while any
    are left) and report their anchors, then resolve their links (knowing every page's
    anchors) and render them. A body whose links need no other page's anchors (most) is
    rendered as soon as it is parsed; the others keep their parsed documents between the two
    steps (tokens take ten times the memory of the HTML). Nothing is parsed twice and no
    tokens cross processes; what comes back is what the cache keeps (CachedBody)."""

    def __init__(self, bodies: Bodies, numbers: list[int], workers: int) -> None:
        context = multiprocessing.get_context("fork")
        self.links: list[Connection] = []
        self.processes: list[BaseProcess] = []
        tasks = [numbers[i : i + BODIES_PER_TASK] for i in range(0, len(numbers), BODIES_PER_TASK)]
        taken = context.Value("i", 0)  # the tasks taken so far, by any worker
        for _ in range(workers):
            here, there = context.Pipe()
            process = context.Process(
                target=_body_worker,
                args=(bodies, tasks, taken, there, os.getpid()),
                daemon=True,
            )
            process.start()
            there.close()
            self.links.append(here)
            self.processes.append(process)
        pages = bodies.index.site.pages
        self.anchors: dict[int, set[str]] = {}
        self.made: dict[int, tuple[CachedBody, list[ExternalLink]]] = {}
        for number, body, made in self._answers():
            pages[number].body = body
            self.anchors[number] = body.anchors
            if made is not None:
                self.made[number] = made

    def render(self) -> dict[int, tuple[CachedBody, list[ExternalLink]]]:
        for link in self.links:
            link.send(self.anchors)
        for number, body, external in self._answers():
            self.made[number] = (body, external)
        for process in self.processes:
            process.join()
        return self.made

    def _answers(self) -> Iterator[Any]:
        """One step's answers from every worker (batches of items, then None), read as they
        come: a worker whose pipe is full waits until it is read."""
        waiting = list(self.links)
        while waiting:
            for link in wait(waiting):
                assert isinstance(link, Connection)
                batch = self._receive(link)
                if batch is None:
                    waiting.remove(link)
                else:
                    yield from batch

    def _receive(self, link: Connection) -> Any:
        try:
            answer = link.recv()
        except EOFError:
            answer = ("failed", "a worker process ended without an answer")
        if isinstance(answer, tuple) and answer[:1] == ("failed",):
            for process in self.processes:
                process.kill()
            raise RuntimeError(f"a body worker failed:\n{answer[1]}")
        return answer


def shared_out(tasks: list[list[int]], taken: Any) -> Iterator[int]:
    """The numbers of the tasks this process takes, one task at a time, while any is left:
    `taken` (a shared counter) says how many the processes sharing it have taken."""
    while True:
        with taken.get_lock():
            task = taken.value
            taken.value += 1
        if task >= len(tasks):
            return
        yield from tasks[task]


def _body_worker(
    bodies: Bodies, tasks: list[list[int]], taken: Any, link: Connection, parent: int
) -> None:
    end_with_parent(parent)
    site = bodies.index.site

    def rendered(page: Page) -> tuple[CachedBody, list[ExternalLink]]:
        before = len(site.external_links)
        body = bodies.render(page)
        return body, site.external_links[before:]

    try:
        pages = site.pages
        # answers go in batches: one message for a large share would be held twice at once
        # (its bytes and its objects) on each side
        batch: list[Any] = []
        waiting: list[int] = []  # parsed, to render once every page's anchors are known
        for number in shared_out(tasks, taken):
            page = pages[number]
            bodies.parse_again(page)
            made = None
            if needs_other_anchors(bodies.docs[id(page)]):
                waiting.append(number)
            else:
                made = rendered(page)
            batch.append((number, page.body, made))
            if len(batch) == ANSWERS_PER_MESSAGE:
                link.send(batch)
                batch = []
        link.send(batch)
        link.send(None)
        for number, anchors in link.recv().items():
            pages[number].body = pages[number].body.but(anchors=anchors)
        batch = []
        for number in waiting:
            batch.append((number, *rendered(pages[number])))
            if len(batch) == ANSWERS_PER_MESSAGE:
                link.send(batch)
                batch = []
        link.send(batch)
        link.send(None)
    except BaseException:
        link.send(("failed", traceback.format_exc()))
