"""Nothing lost (killed and concurrent builds) and nothing injected (hostile text, CSP)."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import REPO, checksums, generated_corpus, run_kbgen, serve, tags


def _kbgen_process(cwd: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-m", "kbgen", "build", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_killed_build_leaves_the_previous_site_byte_identical(tmp_path: Path) -> None:
    site = generated_corpus(tmp_path / "kb", 200)
    out = tmp_path / "out"
    first = run_kbgen("build", "--output", str(out), cwd=site)
    assert first.returncode == 0, first.stderr
    before = checksums(out)
    article = next((site / "content/en/articles/account").glob("kb-*.md"))
    article.write_text(article.read_text().replace("title:", "title: Changed", 1))

    # --no-cache: the build writes every file, so it is surely caught in the middle
    build = _kbgen_process(site, "--output", str(out), "--no-cache")
    deadline = time.monotonic() + 120
    staged: list[Path] = []
    while time.monotonic() < deadline and build.poll() is None:
        staged = list(tmp_path.glob(".out.kbgen-staging-*"))
        if staged and sum(1 for _ in staged[0].rglob("*.html")) > 200:
            break
        time.sleep(0.02)
    assert build.poll() is None, "the build ended before it could be killed; use a larger corpus"
    build.send_signal(signal.SIGKILL)
    build.wait()
    assert staged, "the build never started writing"
    assert checksums(out) == before
    # its worker processes end too, instead of running on (and holding the build lock)
    deadline = time.monotonic() + 10
    while _processes_naming(str(out)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _processes_naming(str(out)) == []

    again = run_kbgen("build", "--output", str(out), cwd=site)  # with the first build's cache
    assert again.returncode == 0, again.stderr
    assert not list(tmp_path.glob(".out.kbgen-staging-*")), "the killed build's staging remains"
    assert checksums(out) != before
    cold = run_kbgen("build", "--output", str(tmp_path / "cold"), "--no-cache", cwd=site)
    assert cold.returncode == 0, cold.stderr
    assert checksums(out) == checksums(tmp_path / "cold")


def _processes_naming(text: str) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and text in (proc / "cmdline").read_text(errors="replace"):
                found.append(int(proc.name))
        except OSError:
            continue  # ended meanwhile
    return found


def test_two_builds_at_once_give_one_complete_build(example_copy: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    shutil.copytree(example_copy, other)
    for root, label in ((example_copy, "ALPHA"), (other, "BETA")):
        for rel in ("content/en/rules.md", "content/fr/rules.md"):
            path = root / rel
            path.write_text(path.read_text().replace("title: ", f"title: {label} ", 1))
    out = tmp_path / "out"
    builds = [_kbgen_process(root, "--output", str(out)) for root in (example_copy, other)]
    for build in builds:
        _, stderr = build.communicate(timeout=120)
        assert build.returncode == 0, stderr
    manifest = json.loads((out / ".kbgen-output.json").read_text())["files"]
    written = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert written == set(manifest) | {".kbgen-output.json"}
    labels = {
        re.search(r"(ALPHA|BETA)", (out / rel).read_text()).group(1)  # type: ignore[union-attr]
        for rel in ("en/rules/index.html", "fr/rules/index.html")
    }
    assert len(labels) == 1, "the output mixes two builds"


def test_disk_full_is_a_clean_error(example_copy: Path, tmp_path: Path, monkeypatch: Any) -> None:
    from kbgen.build import BuildOptions, build
    from kbgen.diagnostics import BuildFailed
    from kbgen.output import Staging

    out = tmp_path / "out"
    build(BuildOptions(example_copy / "config.yaml", output=out))
    before = checksums(out)
    real_write = Staging.write
    calls = {"n": 0}

    def failing_write(self: Staging, rel: str, data: bytes) -> None:
        calls["n"] += 1
        if calls["n"] > 20:
            raise OSError(28, "No space left on device", rel)
        real_write(self, rel, data)

    monkeypatch.setattr(Staging, "write", failing_write)
    with pytest.raises(BuildFailed) as failed:  # --no-cache: nothing changed, yet write it all
        build(BuildOptions(example_copy / "config.yaml", output=out, cache=False))
    assert "No space left on device" in failed.value.diagnostics.errors[0].message
    assert checksums(out) == before
    assert not list(tmp_path.glob(".out.kbgen-staging-*"))


HOSTILE = (
    "Q\"uote 'single' <b>bold</b> </script><script>alert(1)</script> {{ 7*7 }} "
    "{% if 1 %}X{% endif %}"
)


def test_hostile_text_appears_as_text_everywhere(example_copy: Path, tmp_path: Path) -> None:
    config = example_copy / "config.yaml"
    config.write_text(
        config.read_text().replace("  en: Knowledge base", "  en: " + json.dumps(HOSTILE))
    )
    article = example_copy / "content/en/articles/self-service/why-self-service.md"
    body = article.read_text().split("\n---\n", 1)[1]
    article.write_text(
        "---\ntitle: "
        + json.dumps(HOSTILE)
        + "\ndescription: "
        + json.dumps(HOSTILE)
        + "\ntags: ["
        + json.dumps(HOSTILE)
        + "]\n---\n"
        + body
        + "\n"
        + HOSTILE
        + "\n"
    )
    out = tmp_path / "out"
    result = run_kbgen("build", "--output", str(out), cwd=example_copy)
    assert result.returncode == 0, result.stderr
    for page in out.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert "<script>alert(1)" not in html, page
        assert "<b>bold</b>" not in html, page
        assert ">49<" not in html and " 49 " not in html, page  # Jinja in content never runs
    html = (out / "en/articles/self-service/why-self-service/index.html").read_text()
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html  # body and title text
    assert "{{ 7*7 }}" in html and "{% if 1 %}" in html
    description = next(a for t, a in tags(html) if t == "meta" and a.get("name") == "description")
    assert description["content"] == HOSTILE  # the attribute holds the text, unbroken
    headlines = []
    for block in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S):
        assert "</script" not in block.lower()
        data = json.loads(block)
        if data["@type"] == "Article":
            headlines.append(data["headline"])
    assert headlines == [HOSTILE]  # the article's own block, its headline whole


PAGES = [
    "",
    "fr/",
    "fr/articles/self-service/",
    "fr/articles/self-service/pourquoi-le-libre-service/",
    "vi/faq/",
    "vi/faq/mau-tra-loi/",
    "vi/faq/repondre-changement-de-prix/",
    "en/rules/",
    "en/replies/",
    "vi/nope/",
]
CSP = "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'self'"


@pytest.mark.browser
def test_every_page_type_works_under_a_strict_csp(example_site: Path, browser: Any) -> None:
    with serve(example_site, csp=CSP) as url:
        context = browser.new_context(locale="fr-FR")
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        for rel in PAGES:
            page.goto(url + rel)
            page.wait_for_load_state("networkidle")
        # scripts ran: the root page redirected, the copy buttons were shown
        page.goto(url + "en/replies/")
        page.wait_for_load_state("networkidle")
        assert page.locator(".copy-button").first.is_visible()
        context.close()
    violations = [p for p in problems if "Content Security Policy" in p or "Refused" in p]
    assert not violations, violations
    assert not [p for p in problems if "404" not in p], problems
