"""Shared test tools: run kbgen, serve a built site, read links out of HTML."""

from __future__ import annotations

import contextlib
import hashlib
import http.server
import io
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    from kbgen.depends import Reads

REPO = Path(__file__).resolve().parent.parent


def run_kbgen(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """kbgen's command line, its exit code and its output, called in this process: what it
    prints and returns is what the command prints and exits with (`kbgen.cli.main`), without
    starting an interpreter and importing kbgen for each call. `serve` runs until stopped:
    in a process of its own (run_kbgen_process)."""
    if args[:1] == ("serve",):
        return run_kbgen_process(*args, cwd=cwd)
    from kbgen import cli

    out, err = io.StringIO(), io.StringIO()
    before = Path.cwd()
    try:
        os.chdir(cwd or before)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = cli.main(list(args))
            except SystemExit as exit:  # argparse's usage errors (2) and --help (0)
                code = 0 if exit.code is None else exit.code if isinstance(exit.code, int) else 1
                if isinstance(exit.code, str):  # as the interpreter does: printed, status 1
                    print(exit.code, file=sys.stderr)
    finally:
        os.chdir(before)
    return subprocess.CompletedProcess(["kbgen", *args], code, out.getvalue(), err.getvalue())


def run_kbgen_process(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """kbgen as a user runs it: a separate process, its exit code and its output (for what
    only a process shows: its interpreter's exit, signals, an installed package)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "kbgen", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def edit_file(path: Path, old: str, new: str) -> None:
    """A writer's edit: the first `old` in the file made `new` (which must be there)."""
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def write_file(path: Path, text: str) -> Path:
    """A new file, its folders made as needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def assert_clean_failure(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr


GEN_CORPUS = REPO / "bench" / "gen_corpus.py"
CORPUS_CONFIG = "title: Bench\nbase_url: https://kb.example.com/\nlanguages: [en, fr, vi]\n"


def generated_corpus(root: Path, articles: int) -> Path:
    """A knowledge base of `articles` articles per language (en, fr, vi), made by the project's
    corpus generator (bench/gen_corpus.py); returns the folder holding its config.yaml."""
    subprocess.run(
        [sys.executable, str(GEN_CORPUS), "--articles", str(articles), "--out", str(root)],
        check=True,
        capture_output=True,
    )
    (root / "config.yaml").write_text(CORPUS_CONFIG)
    return root


def checksums(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    collector = _Collector()
    collector.feed(html)
    return collector.tags


def local_targets(page: Path, site_root: Path) -> Iterator[tuple[str, Path, str]]:
    """(the href as written, the file it leads to, its #fragment) for every relative link,
    stylesheet, script and image of a built page."""
    for tag, attrs in tags(page.read_text(encoding="utf-8")):
        for name in ("href", "src"):
            value = attrs.get(name)
            if value is None or tag == "base":
                continue
            parts = urlsplit(value)
            if parts.scheme or parts.netloc or value.startswith("/"):
                continue
            if not parts.path:
                target = page
            else:
                target = (page.parent / unquote(parts.path)).resolve()
                if value.endswith("/") or target.is_dir():
                    target = target / "index.html"
            yield value, target, parts.fragment


class _SiteHandler(http.server.SimpleHTTPRequestHandler):
    """A plain static server that also serves /<lang>/404.html for missing pages, as
    static hosts do with a 404 page; `prefix` serves the site from a subpath."""

    prefix = "/"
    csp: str | None = None

    def log_message(self, *args: object) -> None:
        pass

    def end_headers(self) -> None:
        if self.csp:
            self.send_header("Content-Security-Policy", self.csp)
        super().end_headers()

    def translate_path(self, path: str) -> str:
        path = urlsplit(path).path
        if not path.startswith(self.prefix):
            return "/nonexistent"
        return super().translate_path("/" + path[len(self.prefix) :])

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        if code != 404:
            super().send_error(code, message, explain)
            return
        path = urlsplit(self.path).path[len(self.prefix) :]
        lang = path.split("/")[0]
        root = Path(self.directory)
        page = root / lang / "404.html"
        if not (lang and page.is_file()):
            page = root / "404.html"
        body = page.read_bytes() if page.is_file() else b"not found"
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class _Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # a browser that stops loading a file (a page left midway) closes the connection:
        # not a fault of the site, and no traceback in the test log
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


@contextlib.contextmanager
def serve(folder: Path, prefix: str = "/", csp: str | None = None) -> Iterator[str]:
    """Serve `folder` on 127.0.0.1 at a free port; yields the site's base URL."""
    handler = type("Handler", (_SiteHandler,), {"prefix": prefix, "csp": csp})

    def make(*args: object, **kwargs: object) -> _SiteHandler:
        return handler(*args, directory=str(folder), **kwargs)  # type: ignore[arg-type]

    server = _Server(("127.0.0.1", 0), make)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{prefix}"
    finally:
        server.shutdown()
        server.server_close()


def assert_same_record(one: Reads, other: Reads) -> None:
    """Two records of reads (depends.Reads) hold the same: each file's keys, what each key
    gave, the pages' attributes, and what each key looked at."""
    assert {p: f[1] for p, f in one.files.items()} == {p: f[1] for p, f in other.files.items()}
    assert one.values == other.values
    assert one.pages == other.pages
    assert one.touched == other.touched
