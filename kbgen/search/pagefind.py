"""The `pagefind` search engine (`search.engine: pagefind`): one Pagefind bundle per language,
`assets/search/pagefind-<lang>/`, made from the same documents as the lunr index (index.py).

Pagefind (PyPI `pagefind[extended]`) indexes in a binary of its own, which its Python package
drives through `pagefind --service`: base64 JSON messages, each ended by a comma, answered in
the same form on its stdout. This module talks to that binary directly, synchronously, and
writes every record before reading the answers (a thread writes while this one reads, so
neither pipe fills up): the package's asyncio client reads one answer per 0.1 s, which is
more than half an hour for 20,000 records.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import tempfile
import threading
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from html import escape
from typing import Any

from kbgen.search.index import SearchDoc
from kbgen.search.normalize import _LETTERS as LETTERS  # normalize.py folds them by hand
from kbgen.search.normalize import fold, words
from kbgen.urls import encode_url

ENGINE = "pagefind"
INSTALL = 'pip install "kbgen[pagefind]"'
ENTRY = "pagefind-entry.json"  # the file the browser reads first (pagefind.js adds ?ts=)
# What the browser needs of a bundle: not Pagefind's own UIs, nor its highlighting script.
_LEFT_OUT = (
    "pagefind-ui.",
    "pagefind-modular-ui.",
    "pagefind-component-ui.",
    "pagefind-highlight.",
)


class PagefindMissing(Exception):
    """The pagefind package or its binary is not installed."""


# Pagefind's search runs in WebAssembly, which a Content-Security-Policy must allow.
CSP = "script-src 'self' 'wasm-unsafe-eval'"


def csp_notes(engine: str, enabled: bool) -> list[str]:
    """The line the build prints about the policy the site needs, as for comment providers."""
    if enabled and engine == ENGINE:
        return [f"search via pagefind needs Content-Security-Policy: {CSP}"]
    return []


def bundle_folder(lang: str) -> str:
    return f"assets/search/pagefind-{lang}/"


def script_path(lang: str) -> str:
    """The module the browser imports; Pagefind finds the rest of its bundle beside it."""
    return bundle_folder(lang) + "pagefind.js"


def executable() -> str:
    """The Pagefind binary of the installed `pagefind` package (extended, or standard)."""
    try:
        from pagefind.service import get_executable
    except ImportError:
        raise PagefindMissing(f"the pagefind package is not installed: {INSTALL}") from None
    found = get_executable()
    if found is None:
        raise PagefindMissing(f"the pagefind binary is not installed: {INSTALL}")
    return str(found)


def kind_of(url: str) -> str:
    """A document's kind, for the search page's filters: from its URL as search-ui.js does
    (<lang>/articles/…, <lang>/faq/…, <lang>/rules/, <lang>/replies/…)."""
    parts = url.split("/")
    folder = parts[1] if len(parts) > 1 else ""
    return {"articles": "article", "faq": "faq", "rules": "rules", "replies": "reply"}.get(
        folder, "article"
    )


def _encode(message_id: int, payload: dict[str, Any]) -> bytes:
    data = json.dumps({"message_id": message_id, "payload": payload}, ensure_ascii=False)
    return base64.b64encode(data.encode("utf-8")) + b","


@dataclass
class _Answers:
    """The binary's answers, read from its stdout one comma-ended message at a time. A read
    holds up to thousands of answers, or a piece of the last, tens of megabytes long: each
    read is split once (cutting the answers off the buffer one by one, or looking for the
    comma in all of it at each read, took longer than Pagefind's indexing at 6,000 pages,
    and held the lock the writing thread needs)."""

    stream: Any
    ready: deque[bytes] = field(default_factory=deque)  # whole answers not yet taken
    started: list[bytes] = field(default_factory=list)  # the pieces of the next one

    def next(self) -> dict[str, Any]:
        while not self.ready:
            chunk = self.stream.read1(1 << 20)
            if not chunk:
                raise OSError("the pagefind binary stopped")
            *whole, rest = chunk.split(b",")
            if whole:
                whole[0] = b"".join([*self.started, whole[0]])
                self.ready.extend(whole)
                self.started = []
            self.started.append(rest)
        message = self.ready.popleft()
        payload: dict[str, Any] = json.loads(base64.b64decode(message))["payload"]
        if payload.get("type") == "Error":
            raise OSError(f"pagefind: {payload.get('message')}")
        return payload


# Letters Pagefind does not fold (it folds what Unicode decomposes: accents, tone marks):
# normalize.py's table of them, such as "đ" -> "d" ("dat" finds "đặt").
_UNFOLDED = re.compile("[" + "".join(LETTERS) + "]")


def unfolded(text: str) -> str:
    """The folded form of each word of `text` holding a letter Pagefind does not fold, once
    each: indexed after the document's text, so that a query typed without them finds it."""
    found = dict.fromkeys(fold(w) for w in words(text) if _UNFOLDED.search(w))
    return " ".join(found)


def record_html(lang: str, doc: SearchDoc) -> str:
    """A document as Pagefind reads it: the title as <h1> and the headings as <h2> (Pagefind
    ranks words there above the body's), the section as metadata and the kind as a filter,
    both left out of the indexed text. Made from the document, not from the rendered page:
    a few hundred bytes to parse instead of a whole page. Words with letters Pagefind does
    not fold follow the text, folded (the title's weighted as the title), and are named in
    the metadata `folded`, so that search-pagefind.js leaves them out of the snippet."""
    title, rest = unfolded(doc.title), unfolded(f"{doc.headings} {doc.text}")
    extra = f'<p data-pagefind-weight="7">{escape(title)}</p>' if title else ""
    extra += f"<p>{escape(rest)}</p>" if rest else ""
    folded = " ".join(filter(None, (title, rest)))
    meta = f'<p data-pagefind-meta="folded">{escape(folded)}</p>' if folded else ""
    return (
        f'<html lang="{escape(lang)}"><body><h1>{escape(doc.title)}</h1>'
        f'<div data-pagefind-ignore><p data-pagefind-meta="section">{escape(doc.section)}</p>'
        f'<p data-pagefind-filter="kind">{kind_of(doc.url)}</p>{meta}</div>'
        f"<h2>{escape(doc.headings)}</h2><p>{escape(doc.text)}</p>{extra}</body></html>"
    )


def bundle(lang: str, docs: Iterable[SearchDoc]) -> dict[str, bytes]:
    """One language's Pagefind bundle: {path inside the bundle folder: bytes}."""
    records = [
        {
            "type": "AddFile",
            "index_id": 0,  # set below
            # site-relative and percent-encoded, as search-ui.js makes links of it
            "url": encode_url(doc.url),
            "file_path": None,
            "file_contents": record_html(lang, doc),
        }
        for doc in docs
    ]
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(
            [executable(), "--service"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
        )
        assert process.stdin is not None and process.stdout is not None
        try:
            return _run(process, records)
        except (OSError, ValueError) as exc:
            errors.seek(0)
            said = errors.read().decode("utf-8", "replace").strip()
            raise OSError(f"{exc}{': ' + said if said else ''}") from None
        finally:
            process.kill()
            process.wait()


def _run(process: subprocess.Popen[bytes], records: list[dict[str, Any]]) -> dict[str, bytes]:
    stdin, answers = process.stdin, _Answers(process.stdout)
    assert stdin is not None
    stdin.write(_encode(1, {"type": "NewIndex", "config": None}))
    stdin.flush()
    index_id = answers.next()["index_id"]
    failed: list[BaseException] = []

    def write() -> None:
        try:
            for number, record in enumerate(records):
                record["index_id"] = index_id
                stdin.write(_encode(number + 2, record))
            stdin.write(_encode(len(records) + 2, {"type": "GetFiles", "index_id": index_id}))
            stdin.flush()
        except BaseException as exc:  # reported by the reading side
            failed.append(exc)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    for _ in records:
        answers.next()
    files = answers.next()["files"]
    writer.join()
    if failed:
        raise OSError(f"could not send the records to pagefind: {failed[0]}")
    return {
        f["path"]: base64.b64decode(f["content"])
        for f in files
        if not f["path"].startswith(_LEFT_OUT) and not f["path"].startswith("playground/")
    }


def bundle_maker(digest: str, count: int) -> tuple[str, str, int]:
    """What each file of a bundle records as its maker (depends.Reads): the documents'
    digest and the bundle's number of files."""
    return ("search", digest, count)


def bundles_in(
    made: Mapping[str, tuple[tuple[object, ...], object]], languages: Iterable[str]
) -> dict[str, tuple[str, list[str]]]:
    """{language: (digest, files)} of the bundles the last build wrote and the output still
    holds whole (`made`: depends.Reads.files, from which the build cache took out every file
    edited or removed since)."""
    entries = {lang: made.get(bundle_folder(lang) + ENTRY) for lang in languages}
    makers = {lang: entry[0] for lang, entry in entries.items() if entry is not None}
    files: dict[str, list[str]] = {lang: [] for lang in makers}
    for path, (maker, _) in made.items():
        if path.startswith("assets/search/pagefind-"):
            lang = path[len("assets/search/pagefind-") :].split("/", 1)[0]
            if lang in makers and maker == makers[lang]:
                files[lang].append(path)
    return {
        lang: (str(maker[1]), files[lang])
        for lang, maker in makers.items()
        if len(maker) == 3 and maker[2] == len(files[lang])
    }
