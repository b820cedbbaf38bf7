"""Input made to hurt: YAML that multiplies itself, files that are not files, servers that
answer a byte at a time. kbgen must end, in little memory, with a clear message."""

from __future__ import annotations

import contextlib
import http.server
import os
import resource
import shutil
import socketserver
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kbgen import yamlfile
from kbgen.check import probe
from kbgen.yamlfile import load_mapping, shown
from tests.helpers import REPO, assert_clean_failure
from tests.serving import kbgen_serve

SITES = Path(__file__).parent / "sites"
MEMORY_LIMIT = 1024**3  # address space of one kbgen process in these tests


def _kbgen(
    *args: str, cwd: Path, memory: int | None = None, seconds: float = 120
) -> subprocess.CompletedProcess[str]:
    """kbgen in its own process, killed (so the test fails) if it outlives `seconds`: a
    regression must fail, not hang the suite; `memory` caps its address space."""

    def limit() -> None:
        if memory is not None:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    try:
        return subprocess.run(
            [sys.executable, "-m", "kbgen", *args],
            cwd=cwd,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            capture_output=True,
            text=True,
            timeout=seconds,
            preexec_fn=limit,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"kbgen {' '.join(args)} still running after {seconds} s: {exc.stderr!r}")


def _site(tmp_path: Path, name: str = "utf8-with-bom", kind: str = "valid") -> Path:
    site = tmp_path / "site"
    shutil.copytree(SITES / kind / name, site)
    return site


# YAML alias bombs ---------------------------------------------------------------------------

BOMB = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"] + [
    f"{chr(97 + i)}: &{chr(97 + i)} [{', '.join(['*' + chr(96 + i)] * 9)}]" for i in range(1, 9)
]


@pytest.mark.parametrize("where", ["front matter", "config.yaml"])
def test_a_yaml_alias_bomb_fails_cleanly_in_little_memory(tmp_path: Path, where: str) -> None:
    site = _site(tmp_path)
    if where == "config.yaml":
        config = site / "config.yaml"
        kept = config.read_text().replace("title: Test KB\n", "")  # given below instead
        config.write_text(kept + "\n".join(BOMB) + "\ntitle: *i\n")
        expected = "config.yaml:12: error: 'title': value refused"
    else:
        page = site / "content/en/articles/start/hello.md"
        page.write_text("---\ntitle: Hello\n" + "\n".join(BOMB) + "\ntags: *i\n---\nText.\n")
        expected = "content/en/articles/start/hello.md:12: error: 'tags': value refused"
    result = _kbgen("build", "--output", str(tmp_path / "out"), cwd=site, memory=MEMORY_LIMIT)
    assert_clean_failure(result)
    assert expected in result.stderr
    assert len(result.stderr) < 5000  # the value is not echoed


def test_aliases_that_loop_are_refused() -> None:
    loaded = load_mapping("a: &a {b: *a}\nc: &c [*c]\nd: ok\n")
    assert [(p.key, p.line) for p in loaded.problems] == [("a", 1), ("c", 2)]
    assert all("contains itself" in p.message for p in loaded.problems)
    assert loaded.values == {"d": "ok"}


def test_aliases_repeating_small_values_still_load() -> None:
    loaded = load_mapping("base: &b {x: 1}\nmore: [*b, *b, *b]\n")
    assert loaded.problems == []
    assert loaded.values["more"] == [{"x": 1}] * 3


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("v: one\n", True),
        ("v: [a, b, c]\n", True),
        ("v: []\n", True),
        ("s: &s word\nv: [*s, *s, *s]\n", True),  # aliases of a scalar: one value each
        ("v: [a, [b, c]]\n", False),
        ("b: &b [x, y]\nv: [*b, *b]\n", False),
        ("v: {a: 1}\n", False),
    ],
)
def test_plain_values_are_counted_without_the_walk(text: str, plain: bool) -> None:
    """A scalar or a list of scalars is counted without walking it, to the same number;
    anything else is walked (where aliases can repeat it)."""
    loader = yamlfile._Loader(text)
    value = loader.get_single_node().value[-1][1]
    counted = yamlfile._plain_size(value)
    assert counted == (yamlfile._expanded_size(value, 10**6) if plain else None)


def test_a_forbidden_character_is_named_at_its_line_and_column() -> None:
    loaded = load_mapping("title: Hi\ndescription: Déjà\x07 vu\n", first_line=2)
    [problem] = loaded.problems
    assert problem.message == "invalid YAML: the character U+0007 is not allowed; remove it"
    assert (problem.line, problem.column) == (3, 18)  # counted in characters, not bytes


def test_values_quoted_in_messages_are_short_and_in_yaml_terms() -> None:
    import datetime as dt

    huge = [[["lol"] * 1000] * 1000] * 1000  # shared lists: a billion items if written out
    text = shown(huge)
    assert len(text) <= 80 and text.endswith("…")
    moment = dt.datetime(2026, 3, 12, 10, tzinfo=dt.timezone(dt.timedelta(hours=5)))
    assert shown(moment) == "2026-03-12T10:00:00+05:00"
    assert shown({"a": None, "b": [True]}) == "{'a': null, 'b': [true]}"
    assert "digits" in shown(1 << 20000)


# Files that are not regular files ------------------------------------------------------------


def test_named_pipes_in_content_are_skipped(tmp_path: Path) -> None:
    site = _site(tmp_path)
    os.mkfifo(site / "content/en/articles/start/pipe.md")
    os.mkfifo(site / "content/en/download.zip")
    result = _kbgen("build", "--output", str(tmp_path / "out"), cwd=site, seconds=60)
    assert result.returncode == 0, result.stderr
    assert (
        "content/en/articles/start/pipe.md: warning: not a regular file (a named pipe, "
        "socket or device) skipped" in result.stderr
    )
    assert "content/en/download.zip: warning: not a regular file" in result.stderr
    assert not (tmp_path / "out/en/download.zip").exists()


def test_a_config_that_is_a_named_pipe_is_an_error(tmp_path: Path) -> None:
    site = _site(tmp_path)
    (site / "config.yaml").unlink()
    os.mkfifo(site / "config.yaml")
    result = _kbgen("build", "--output", str(tmp_path / "out"), cwd=site, seconds=60)
    assert_clean_failure(result)
    assert "config.yaml: error: not a regular file" in result.stderr


def test_serve_answers_with_named_pipes_in_content(tmp_path: Path) -> None:
    site = _site(tmp_path)
    os.mkfifo(site / "content/en/articles/start/pipe.md")
    with kbgen_serve(site) as served:
        first = served.state()
        assert first["error"] == 0, first
        # one more made while serving, then an edit: the rebuilds skip the pipe and go on
        os.mkfifo(site / "content/en/articles/start/later.md")
        page = site / "content/en/articles/start/hello.md"
        page.write_text(page.read_text(encoding="utf-8") + "\nEdited.\n", encoding="utf-8")
        version = int(first["version"])
        served.wait_for(version, 0, lambda s: s["version"] != version)
        with urllib.request.urlopen(served.url + "en/articles/start/hello/", timeout=20) as answer:
            assert b"Edited." in answer.read()
    assert any("later.md: warning: not a regular file" in line for line in served.log)


# check --external: slow servers and odd redirects -----------------------------------------


class _Trickle(http.server.BaseHTTPRequestHandler):
    """Answers every request a byte every 0.3 s, never falling silent for long."""

    def log_message(self, *args: object) -> None:
        pass

    def _answer(self) -> None:
        if self.path == "/to-ftp":
            self.send_response(302)
            self.send_header("Location", "ftp://127.0.0.1:9/file.txt")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        answer = b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\nX-Padding: " + b"x" * 40 + b"\r\n\r\n"
        with contextlib.suppress(OSError):
            for byte in answer:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.3)

    do_HEAD = do_GET = _answer


@contextlib.contextmanager
def _trickle_server() -> Iterator[str]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Trickle)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_check_external_bounds_each_url_by_the_timeout() -> None:
    with _trickle_server() as base:
        # every byte comes well within the timeout, the whole answer (20 s) does not
        answer = probe(f"{base}/slow", 2.0)
    assert answer == ("error", "no complete answer within 2 s")


def test_check_external_refuses_a_redirect_to_another_scheme() -> None:
    with _trickle_server() as base:
        answer = probe(f"{base}/to-ftp", 10.0)
    assert answer is not None and answer[0] == "error"
    assert "redirects to ftp://127.0.0.1:9/file.txt, which is not an http(s) address" in answer[1]


# Mistakes that ended in a traceback -------------------------------------------------------


@pytest.mark.parametrize("output_dir", ['"site\\0old"', "x" * 5000, "/".join(["x" * 200] * 30)])
def test_an_unusable_output_dir_is_a_clear_error(tmp_path: Path, output_dir: str) -> None:
    site = _site(tmp_path)
    config = site / "config.yaml"
    config.write_text(config.read_text() + f"output_dir: {output_dir}\n")
    result = _kbgen("build", cwd=site)
    assert_clean_failure(result)
    assert "error: output_dir (in config.yaml): " in result.stderr
    assert len(result.stderr) < 1000  # the 5,000 characters are not all echoed


def test_an_unusable_output_option_is_a_clear_error(tmp_path: Path) -> None:
    site = _site(tmp_path)
    result = _kbgen("build", "--output", "y" * 5000, cwd=site)
    assert_clean_failure(result)
    assert "error: --output: cannot use 'yyy" in result.stderr
    assert "(File name too long); choose another folder" in result.stderr


def test_an_output_folder_in_a_folder_kbgen_may_not_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kbgen.build import BuildOptions, build
    from kbgen.diagnostics import BuildFailed

    site = _site(tmp_path)
    real_open = os.open

    def refusing_open(path: Any, *args: Any, **kwargs: Any) -> Any:
        # as a folder without write permission does (the tests may run as root, whom
        # permissions do not stop)
        if str(path).endswith(".kbgen-lock"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", refusing_open)
    with pytest.raises(BuildFailed) as failed:
        build(BuildOptions(site / "config.yaml", output=tmp_path / "locked" / "site"))
    [error] = failed.value.diagnostics.errors
    assert error.message.startswith("cannot write the site: Permission denied (")
    assert "fix the permissions of that folder or choose another output folder" in error.message
    assert not (tmp_path / "locked" / "site").exists()


def test_a_new_page_with_a_very_long_title_gets_a_short_file_name(tmp_path: Path) -> None:
    site = _site(tmp_path)
    title = "How to " + "really " * 40 + "ask for a refund"  # 300 characters
    result = _kbgen("new", "article", "--lang", "en", "--section", "start", title, cwd=site)
    assert result.returncode == 0, result.stderr
    [page] = (site / "content/en/articles/start").glob("how-to-really-*.md")
    assert len(page.name.encode("utf-8")) <= 83
    assert page.stem.endswith("-really")  # cut after a whole word
    assert title in page.read_text(encoding="utf-8")  # the title itself is kept whole
    assert _kbgen("build", "--output", str(tmp_path / "out"), cwd=site).returncode == 0


def test_a_huge_asset_is_copied_without_reading_it_whole(tmp_path: Path) -> None:
    site = _site(tmp_path)
    size = 1024**3  # sparse: no disk space taken, but a whole read would want 1 GiB
    with (site / "content/en/disk-image.iso").open("wb") as handle:
        handle.truncate(size)
    out = tmp_path / "out"
    result = _kbgen("build", "--output", str(out), cwd=site, memory=MEMORY_LIMIT // 2)
    assert result.returncode == 0, result.stderr
    assert (out / "en/disk-image.iso").stat().st_size == size


def test_init_refuses_a_language_listed_twice(tmp_path: Path) -> None:
    result = _kbgen("init", "kb", "--languages", "en,fr,en", cwd=tmp_path)
    assert_clean_failure(result)
    assert "error: --languages: 'en' is listed twice; list each language once" in result.stderr
    assert not (tmp_path / "kb").exists()
