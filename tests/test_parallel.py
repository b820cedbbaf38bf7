"""Pages and search indexes made in worker processes: the same files as one process makes,
and the same clean errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import kbgen.render
from kbgen.build import BuildOptions, build
from kbgen.render import Renderer
from kbgen.site import BodyWorkers
from tests.helpers import checksums, generated_corpus, run_kbgen


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # 150 articles per language: about 550 pages, enough for the build to use workers
    return generated_corpus(tmp_path_factory.mktemp("parallel") / "kb", 150)


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of workers of each stage that handed work to worker processes: pages and
    search indexes (positive), Markdown bodies (negative)."""
    calls: list[int] = []
    real = Renderer._made_in_workers

    def recorded(self: Renderer, *args: Any) -> Iterator[Any]:
        calls.append(args[1])  # (pool, workers, standalone, pages, indexed, on_page)
        return real(self, *args)

    monkeypatch.setattr(Renderer, "_made_in_workers", recorded)
    real_bodies = BodyWorkers.__init__

    def bodies_recorded(self: BodyWorkers, *args: Any) -> None:
        calls.append(-args[2])  # negative: the Markdown bodies' workers
        real_bodies(self, *args)

    monkeypatch.setattr(BodyWorkers, "__init__", bodies_recorded)
    return calls


def test_workers_write_what_one_process_writes(
    corpus: Path, tmp_path: Path, spy: list[int]
) -> None:
    config = corpus / "config.yaml"
    one = build(BuildOptions(config, output=tmp_path / "one", cache=False, jobs=1))
    assert spy == []
    two = build(BuildOptions(config, output=tmp_path / "two", cache=False, jobs=2))
    assert spy == [-2, 2]
    assert sum(two.pages_per_language.values()) >= 400
    assert checksums(tmp_path / "one") == checksums(tmp_path / "two")
    assert [d.format() for d in one.diagnostics.items] == [
        d.format() for d in two.diagnostics.items
    ]


def test_a_cached_rebuild_with_workers_equals_a_cold_build(
    corpus: Path, tmp_path: Path, spy: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = corpus / "config.yaml"
    out = tmp_path / "site"
    build(BuildOptions(config, output=out, jobs=2))
    article = next((corpus / "content/fr/articles").rglob("kb-*.md"))
    article.write_text(article.read_text(encoding="utf-8") + "\nUne phrase de plus.\n", "utf-8")
    # as on a large site: the one index to make again starts in a worker before the pages
    # are compared, and the few pages to make follow it there
    monkeypatch.setattr(kbgen.render, "PARALLEL_FROM", 100)
    del spy[:]
    again = build(BuildOptions(config, output=out, jobs=2))
    assert spy == [2]
    assert again.kept > 500 and again.written < 40
    build(BuildOptions(config, output=tmp_path / "cold", cache=False, jobs=1))
    assert checksums(out) == checksums(tmp_path / "cold")


def test_a_template_error_in_a_worker_is_a_clean_error(corpus: Path, tmp_path: Path) -> None:
    theme = corpus / "themes" / "broken"
    (theme / "templates").mkdir(parents=True)
    (theme / "theme.yaml").write_text("extends: default\n", encoding="utf-8")
    # fails on one page only, late in the build, so in a worker
    (theme / "templates" / "article.html").write_text(
        '{% extends "base.html" %}{% block main %}'
        "{% if page.url.endswith('/kb-00140/') and page.lang == 'vi' %}{{ page.nothing.here }}"
        "{% endif %}{{ page.html | safe }}{% endblock %}\n",
        encoding="utf-8",
    )
    config = corpus / "config.yaml"
    original = config.read_text(encoding="utf-8")
    out = tmp_path / "out"
    first = run_kbgen("build", "--output", str(out), cwd=corpus)
    assert first.returncode == 0, first.stderr
    before = checksums(out)
    try:
        config.write_text(original + "theme: broken\n", encoding="utf-8")
        result = run_kbgen("build", "--output", str(out), "--jobs", "2", cwd=corpus)
    finally:
        config.write_text(original, encoding="utf-8")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "template error while rendering /vi/articles/" in result.stderr
    assert "templates/article.html:1" in result.stderr
    assert checksums(out) == before
    assert not list(tmp_path.glob(".out.kbgen-*-*"))
