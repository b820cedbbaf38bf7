"""`kbgen serve`: what it serves, what it refuses, how it follows changes on disk."""

from __future__ import annotations

import http.client
import json
import os
import socket
import struct
import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urljoin, urlsplit

import pytest

from kbgen.diagnostics import Diagnostics
from kbgen.incremental import Outcome
from kbgen.serve import DevServer, _Handler, _Server, allowed_host, site_path
from kbgen.watch import Debouncer, Watcher
from tests.helpers import run_kbgen
from tests.serving import Served, kbgen_serve

FR_ARTICLE = "fr/articles/community-management/role-des-representants/"
ARTICLE_FILE = "content/fr/articles/community-management/representatives-role.md"
SECRET = "top-secret-outside-the-site"


@pytest.fixture
def site(example_copy: Path) -> Iterator[Served]:
    outside = example_copy.parent / "outside.txt"
    outside.write_text(SECRET, encoding="utf-8")
    (example_copy / "content/fr/leak.txt").symlink_to(outside)  # present from the start
    (example_copy / "content/fr/notes.txt").write_text("an attachment", encoding="utf-8")
    with kbgen_serve(example_copy) as served:
        yield served


def _request(
    url: str, raw_path: str, method: str = "GET", host: str | None = None
) -> tuple[int, bytes, dict[str, str]]:
    """Send `raw_path` exactly as written (no client-side normalization of `..`), with the
    Host header `host` if given."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.putrequest(
            method, raw_path, skip_host=host is not None, skip_accept_encoding=True
        )
        if host is not None:
            connection.putheader("Host", host)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read(), dict(response.getheaders())
    finally:
        connection.close()


TRAVERSALS = [
    "/../config.yaml",
    "/fr/../../config.yaml",
    "/%2e%2e/config.yaml",
    "/%2E%2E/%2e%2e/config.yaml",
    "/fr/%2e%2e/%2e%2e/outside.txt",
    "/..%2fconfig.yaml",
    "/fr/..%2F..%2Fconfig.yaml",
    "/..\\config.yaml",
    "/fr\\..\\..\\config.yaml",
    "/%5c..%5cconfig.yaml",
    "/fr/%5C..%5C..%5Coutside.txt",
    "//etc/passwd",
    "/etc/passwd",
    "/%2fetc%2fpasswd",
    "http://127.0.0.1/../config.yaml",
    "/fr/%00/../index.html",
    "/fr/leak.txt",  # a symbolic link in content/ leading outside it
    "/content/fr/rules.md",
    "/config.yaml",
]


def test_traversal_attempts_get_404(site: Served) -> None:
    for raw in TRAVERSALS:
        status, body, _ = _request(site.url, raw)
        assert status == 404, raw
        assert SECRET.encode() not in body and b"languages:" not in body, raw


def test_a_symlink_made_to_lead_outside_after_the_build_gets_404(
    site: Served, example_copy: Path
) -> None:
    assert _request(site.url, "/fr/notes.txt")[:2] == (200, b"an attachment")
    notes = example_copy / "content/fr/notes.txt"
    notes.unlink()
    notes.symlink_to(example_copy.parent / "outside.txt")
    status, body, _ = _request(site.url, "/fr/notes.txt")
    assert status == 404 and SECRET.encode() not in body


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("/", "index.html"),
        ("/fr/", "fr/index.html"),
        ("/fr/faq/?x=1#y", "fr/faq/index.html"),
        ("/fr/r%C3%A8gles/", "fr/règles/index.html"),
        ("/../x", None),
        ("/%2e%2e/x", None),
        ("/a%5cb", None),
        ("/a\\b", None),
        ("//x", None),
        ("/a//b", None),
        ("x", None),
        ("/%00", None),
        ("/./x", None),
    ],
)
def test_site_path(raw: str, expected: str | None) -> None:
    assert site_path(raw) == expected


def test_only_requests_for_this_server_are_answered(site: Served) -> None:
    # a DNS-rebinding page: evil.com made to resolve to 127.0.0.1 reads the preview, drafts
    # included, unless the server looks at the name the browser asked for
    port = urlsplit(site.url).port
    for host in ("evil.com", f"evil.com:{port}", "localhost.evil.com", "127.0.0.1.evil.com"):
        status, body, _ = _request(site.url, f"/{FR_ARTICLE}", host=host)
        assert status == 403, host
        assert b"Host" in body and b"<" not in body
    assert _request(site.url, "/__kbgen/events", host="evil.com")[0] == 403
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", "LOCALHOST", f"[::1]:{port}"):
        assert _request(site.url, f"/{FR_ARTICLE}", host=host)[0] == 200, host


@pytest.mark.parametrize(
    ("header", "host", "expected"),
    [
        ("kb.test:8000", "kb.test", True),  # the --host given
        ("kb.test", "0.0.0.0", False),
        ("192.168.1.20:8000", "0.0.0.0", True),  # listening on every address
        ("[fe80::1]:8000", "::", True),
        ("[::1", "127.0.0.1", False),
        ("", "127.0.0.1", False),
        (None, "127.0.0.1", False),
    ],
)
def test_allowed_host(header: str | None, host: str, expected: bool) -> None:
    assert allowed_host(header, host) is expected


def test_get_and_head_only(site: Served) -> None:
    status, body, headers = _request(site.url, "/" + FR_ARTICLE, "HEAD")
    assert status == 200 and body == b"" and int(headers["Content-Length"]) > 1000
    for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
        status, _, headers = _request(site.url, "/" + FR_ARTICLE, method)
        assert status == 405, method
        assert headers["Allow"] == "GET, HEAD"


def test_every_language_is_served_with_the_live_reload_script(site: Served) -> None:
    for path in ("/", "/fr/", "/vi/", "/en/", "/" + FR_ARTICLE, "/fr/nowhere/"):
        status, body, headers = _request(site.url, path)
        assert status == (404 if "nowhere" in path else 200), path
        assert body.count(b'<script src="/__kbgen/live.js"') == 1, path
        assert headers["Content-Security-Policy"] == "script-src 'self'"
    status, body, headers = _request(site.url, "/__kbgen/live.js")
    assert status == 200 and headers["Content-Type"].startswith("text/javascript")
    assert b"location.reload()" in body
    status, body, _ = _request(site.url, "/fr")  # a folder without its slash
    assert status == 301


def test_the_built_site_never_contains_the_live_reload_script(
    example_copy: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert run_kbgen("build", "--output", str(out), cwd=example_copy).returncode == 0
    for path in out.rglob("*"):
        if path.is_file():
            assert b"__kbgen" not in path.read_bytes(), path


def test_an_edit_is_served_and_an_error_reported_then_fixed(
    site: Served, example_copy: Path
) -> None:
    first = site.state()
    article = example_copy / ARTICLE_FILE
    original = article.read_text(encoding="utf-8")
    # an editor's atomic save: a temporary file renamed over the article
    temporary = article.with_name(".representatives-role.md.tmp")
    temporary.write_text(original.replace("ne fonctionnent pas", "ne tournent pas"), "utf-8")
    os.replace(temporary, article)
    version, error = int(first["version"]), int(first["error"])
    site.wait_for(version, error, lambda s: s["version"] != version)
    assert b"ne tournent pas" in _request(site.url, "/" + FR_ARTICLE)[1]

    article.write_text(original.replace("weight: 1", "weight: heavy"), encoding="utf-8")
    failed = site.wait_for(version + 1, 0, lambda s: s["error"] != 0)
    assert failed["version"] == version + 1  # still the last good build
    [problem] = failed["errors"]
    assert problem["where"] == f"{ARTICLE_FILE}:5"
    assert "must be a whole number" in problem["message"]
    assert b"ne tournent pas" in _request(site.url, "/" + FR_ARTICLE)[1]

    article.write_text(original, encoding="utf-8")
    fixed = site.wait_for(version + 1, int(failed["error"]), lambda s: s["error"] == 0)
    assert fixed["version"] == version + 2
    assert b"ne fonctionnent pas" in _request(site.url, "/" + FR_ARTICLE)[1]


def test_the_search_index_follows_edits(site: Served, example_copy: Path) -> None:
    status, page, _ = _request(site.url, "/" + FR_ARTICLE)
    assert status == 200
    index = page.split(b'data-index="', 1)[1].split(b'"', 1)[0].decode()
    path = urlsplit(urljoin(site.url + FR_ARTICLE, index)).path  # the page names it relatively
    assert path == "/assets/search/fr.json"
    status, data, headers = _request(site.url, path)
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    assert b"zanzibarite" not in data
    first = site.state()
    article = example_copy / ARTICLE_FILE
    article.write_text(
        article.read_text(encoding="utf-8") + "\nUn mot rare : zanzibarite.\n", encoding="utf-8"
    )
    version, error = int(first["version"]), int(first["error"])
    site.wait_for(version, error, lambda s: s["version"] != version)
    status, data, _ = _request(site.url, path)
    assert status == 200 and b'"zanzibarit"' in data  # the word, as the French index stems it
    assert b"zanzibarit" not in _request(site.url, "/assets/search/en.json")[1]
    # the page's text is in its snippet file, which serve makes too
    docs = json.loads(data)["docs"]
    number = [doc[0] for doc in docs].index(FR_ARTICLE)
    status, texts, headers = _request(site.url, f"/assets/search/fr/{number // 10}.json")
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    assert "zanzibarite" in json.loads(texts)[number % 10]
    assert _request(site.url, f"/assets/search/fr/{len(docs)}.json")[0] == 404


def test_debouncer_makes_one_batch_of_a_burst() -> None:
    now = [0.0]
    debouncer = Debouncer(quiet=0.05, longest=0.5, clock=lambda: now[0])
    assert debouncer.wait() is None
    for step in range(5):  # a save every 10 ms: never quiet for 50 ms
        debouncer.add(Path(f"/kb/content/fr/{step % 2}.md"))
        assert debouncer.wait() == pytest.approx(0.05)
        now[0] += 0.01
    now[0] += 0.05
    assert debouncer.wait() == 0
    assert debouncer.take() == {Path("/kb/content/fr/0.md"), Path("/kb/content/fr/1.md")}
    assert debouncer.wait() is None


def test_debouncer_does_not_wait_forever_during_endless_saves() -> None:
    now = [0.0]
    debouncer = Debouncer(quiet=0.05, longest=0.5, clock=lambda: now[0])
    for _ in range(100):
        debouncer.add(Path("/kb/content/fr/x.md"))
        now[0] += 0.01
        if debouncer.wait() == 0:
            break
    assert now[0] == pytest.approx(0.5)


def test_watcher_gives_one_batch_for_an_atomic_save_and_a_burst(tmp_path: Path) -> None:
    batches: list[set[Path]] = []
    arrived = threading.Event()

    def on_batch(paths: set[Path]) -> None:
        batches.append(paths)
        arrived.set()

    # a generous quiet time: the writes below take microseconds, so they are one burst
    watcher = Watcher(lambda path: True, on_batch, quiet=1.0, longest=5.0)
    watcher.watch([tmp_path])
    watcher.start()
    try:
        page = tmp_path / "page.md"
        temporary = tmp_path / "page.md.swp"
        temporary.write_text("one", encoding="utf-8")
        os.replace(temporary, page)
        for n in range(5):
            page.write_text(f"save {n}", encoding="utf-8")
        assert arrived.wait(timeout=30)
        arrived.clear()
        assert not arrived.wait(timeout=2.5)  # nothing more came
    finally:
        watcher.stop()
    assert len(batches) == 1
    assert page in batches[0]


def test_warnings_are_printed_once_and_errors_every_time(tmp_path: Path) -> None:
    logged: list[str] = []
    dev = DevServer(None, tmp_path, logged.append)  # type: ignore[arg-type]
    dev.live = type("Live", (), {"version": 1})()  # type: ignore[assignment]
    page = tmp_path / "content/fr/x.md"

    def outcome(*errors: str) -> Outcome:
        diags = Diagnostics()
        for n in range(3):
            diags.warning(f"warning {n}", page, n + 1)
        for error in errors:
            diags.error(error, page, 9)
        return Outcome(not errors, diags, False, rendered=1)

    dev.report(outcome(), "built")
    assert sum("warning" in line and "x.md" in line for line in logged) == 3
    logged.clear()
    dev.report(outcome(), "rebuilt")
    assert logged == ["kbgen: rebuilt: 1 file(s) rendered in 0.00 s (3 warning(s) as before)"]
    logged.clear()
    dev.report(outcome("bad"), "rebuilt")
    dev.report(outcome("bad"), "rebuilt")
    assert sum(": error: bad" in line for line in logged) == 2
    assert dev.state.errors == ({"where": "content/fr/x.md:9", "message": "bad"},)


def test_a_client_that_goes_away_mid_response_prints_no_traceback(
    capfd: pytest.CaptureFixture[str],
) -> None:
    # A browser tab closed during live reload: the client resets the connection before the
    # reply is written. The request is handled here, in this thread, as a server thread would.
    live = SimpleNamespace(
        files={"index.html": b"<html><head></head>" + b"x" * 2_000_000}, config=None
    )
    dev = DevServer(live, Path.cwd(), lambda line: None)  # type: ignore[arg-type]
    handler: type[_Handler] = type("Handler", (_Handler,), {"dev": dev, "host": "127.0.0.1"})
    server = _Server(("127.0.0.1", 0), handler)
    try:
        client = socket.create_connection(server.server_address[:2])
        client.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        request, address = server.socket.accept()
        # SO_LINGER 0: close() sends a reset, as a tab closing mid-response does
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        client.close()
        server.process_request_thread(request, address)
    finally:
        server.server_close()
    err = capfd.readouterr().err
    assert "Traceback" not in err and "Exception occurred" not in err, err
