"""Pages and search indexes made in worker processes: the same files as one process makes,
and the same clean errors."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import Any

import pytest

import kbgen.render
import kbgen.sources
from kbgen.body_workers import BodyWorkers, shared_out
from kbgen.build import BuildOptions, build
from kbgen.cache import cache_files, load_cache, load_reads
from kbgen.config import load_config
from kbgen.depends import Reads
from kbgen.diagnostics import BuildFailed, Diagnostics
from kbgen.render import Renderer
from kbgen.sources import SourceMemo, discover_sources
from tests.helpers import assert_same_record, checksums, generated_corpus, run_kbgen


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # 150 articles per language: about 550 pages, enough for the build to use workers
    root = generated_corpus(tmp_path_factory.mktemp("parallel") / "kb", 150)
    # links to a heading of another page: their bodies wait in the workers until every
    # page's anchors are known (the others are rendered as soon as they are parsed)
    for lang in ("en", "fr", "vi"):
        articles = sorted((root / "content" / lang / "articles").rglob("kb-*.md"))
        target = articles[0]
        target.write_text(target.read_text("utf-8") + "\n## Heading target\n\nText.\n", "utf-8")
        for article in articles[1::15]:
            href = Path(os.path.relpath(target, article.parent)).as_posix()
            linked = f"\nSee [the target]({href}#heading-target).\n"
            article.write_text(article.read_text("utf-8") + linked, "utf-8")
    return root


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of workers of each stage that handed work to worker processes: Markdown
    bodies (negative), search indexes (10 per forked process), pages (positive)."""
    calls: list[int] = []
    real = Renderer._made_in_workers

    def recorded(self: Renderer, *args: Any) -> Iterator[Any]:
        calls.append(args[1])  # (pool, workers, others, jobs, reads, indexed, on_page)
        return real(self, *args)

    monkeypatch.setattr(Renderer, "_made_in_workers", recorded)
    real_forked = kbgen.render.Forked

    def forked_recorded(*args: Any) -> Any:
        calls.append(10)
        return real_forked(*args)

    monkeypatch.setattr(kbgen.render, "Forked", forked_recorded)
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
    one = build(BuildOptions(config, output=tmp_path / "one", jobs=1))
    assert spy == []
    two = build(BuildOptions(config, output=tmp_path / "two", jobs=2))
    assert spy == [-2, 10, 10, 10, 2]  # the indexes start before the pages
    assert sum(two.pages_per_language.values()) >= 400
    assert checksums(tmp_path / "one") == checksums(tmp_path / "two")
    assert [d.format() for d in one.diagnostics.items] == [
        d.format() for d in two.diagnostics.items
    ]
    # 10 per language (and untranslated pages shown in their place), resolved to the page
    assert two.site is not None
    assert len([p for p in two.site.pages if '/#heading-target"' in p.html]) >= 30
    # the keys each file read come back from the workers by number, and the site methods it
    # called with what they looked at (render._forked_pages): the record of reads saved is
    # the one a build in one process saves
    records = [_saved_reads(config, tmp_path / name) for name in ("one", "two")]
    assert len(records[1].files) >= 400
    assert_same_record(*records)
    keys = {id(k): k for _, read in records[1].files.values() for k in read}  # one object each
    assert len(keys) == len(set(keys.values()))


def _saved_reads(config: Path, output: Path) -> Reads:
    files = cache_files(load_config(config), output.resolve())
    cached = load_cache(files.state)
    assert cached is not None
    reads = load_reads(files.reads, cached, cached.render_key)
    assert reads is not None
    return reads


def test_workers_report_broken_links_as_one_process_does(corpus: Path, tmp_path: Path) -> None:
    article = sorted((corpus / "content" / "vi" / "articles").rglob("kb-*.md"))[7]
    before = article.read_text("utf-8")
    target = sorted((corpus / "content" / "vi" / "articles").rglob("kb-*.md"))[0]
    href = Path(os.path.relpath(target, article.parent)).as_posix()
    article.write_text(before + f"\n[a](#nowhere) [b]({href}#nowhere)\n", "utf-8")
    reports = []
    try:
        for jobs in (1, 2):
            options = BuildOptions(
                corpus / "config.yaml", tmp_path / str(jobs), cache=False, jobs=jobs
            )
            with pytest.raises(BuildFailed) as failed:
                build(options)
            reports.append([d.format() for d in failed.value.diagnostics.items])
    finally:
        article.write_text(before, "utf-8")
    assert reports[0] == reports[1]
    broken = [r for r in reports[1] if "broken link" in r]
    assert len(broken) == 2 and all(article.name in r for r in broken)


def test_a_cached_rebuild_with_workers_equals_a_cold_build(
    corpus: Path, tmp_path: Path, spy: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = corpus / "config.yaml"
    out = tmp_path / "site"
    build(BuildOptions(config, output=out, jobs=2))
    article = next((corpus / "content/fr/articles").rglob("kb-*.md"))
    article.write_text(article.read_text(encoding="utf-8") + "\nUne phrase de plus.\n", "utf-8")
    # as on a large site: the one index to make again starts in a worker before the pages
    # are compared; the few pages to make are made here
    monkeypatch.setattr(kbgen.render, "PARALLEL_FROM", 100)
    del spy[:]
    again = build(BuildOptions(config, output=out, jobs=2))
    assert spy == [10]
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


def test_files_read_by_a_second_process_are_what_one_process_reads(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a large site a second process reads the last files: the pages, assets and problems
    found, in their order, are those one process finds; and they are again if it fails."""
    last = sorted((corpus / "content" / "vi" / "articles").rglob("kb-*.md"))[-3:]
    saved = {path: path.read_text("utf-8") for path in last}
    last[0].write_text("", "utf-8")  # a warning: an empty file is skipped
    last[1].write_text(saved[last[1]].replace("title:", "colour: blue\ntitle:", 1), "utf-8")
    last[2].write_text(saved[last[2]].replace("title:", "weight: many\ntitle:", 1), "utf-8")
    ahead: list[int] = []
    real = SourceMemo.read_ahead

    def counted(self: SourceMemo, files: list[Any], *args: Any) -> None:
        ahead.append(len(files))
        real(self, files, *args)

    monkeypatch.setattr(SourceMemo, "read_ahead", counted)
    config = load_config(corpus / "config.yaml")

    def found(jobs: int) -> tuple[list[Any], list[Any], list[str]]:
        diags = Diagnostics()
        sources = discover_sources(config, diags, jobs=jobs)
        return sources.pages, sources.assets, [d.format() for d in diags.items]

    try:
        one = found(1)
        assert ahead == []
        problems = [p for p in one[2] if any(path.name in p for path in last)]
        assert len(problems) >= 3 and "error" in problems[-1]
        assert found(2) == one
        assert len(ahead) == 1 and ahead[0] > 200  # nearly half of the Markdown files

        def fails(*args: Any) -> Any:
            raise MemoryError

        monkeypatch.setattr(kbgen.sources, "_read_files", fails)
        assert found(2) == one  # read here instead
        assert len(ahead) == 2
    finally:
        for path, text in saved.items():
            path.write_text(text, "utf-8")


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_cache_file_that_cannot_be_saved_is_one_warning(example_copy: Path, jobs: int) -> None:
    """The parsed bodies are saved beside the files being made (by another process, with
    workers): a file that cannot be written is said once, the build is not stopped."""
    config = example_copy / "config.yaml"
    out = example_copy / "site"
    cache_files(load_config(config), out.resolve()).bodies.mkdir(parents=True)  # not a file
    result = build(BuildOptions(config, output=out, jobs=jobs))
    warnings = [d.format() for d in result.diagnostics.items if "build cache" in d.message]
    assert len(warnings) == 1
    assert "could not save the build cache" in warnings[0] and ".kbgen-cache" in warnings[0]
    assert (out / "index.html").is_file()
    assert not [p for p in (example_copy / ".kbgen-cache").iterdir() if p.name.endswith(".tmp")]


def test_body_workers_take_a_few_bodies_at_a_time_while_any_are_left() -> None:
    """The workers share the bodies through one counter: each is parsed once, and a worker
    slowed down (by a long body, or the machine) takes fewer instead of keeping the other
    waiting at the end."""
    tasks = [[n, n + 1] for n in range(0, 20, 2)]
    taken = multiprocessing.get_context("fork").Value("i", 0)
    fast, slow = shared_out(tasks, taken), shared_out(tasks, taken)
    got_fast: list[int] = []
    got_slow: list[int] = []
    for _ in range(20):  # three bodies for the one, one for the other
        got_fast += islice(fast, 3)
        got_slow += islice(slow, 1)
    assert sorted(got_fast + got_slow) == list(range(20))
    assert len(got_fast) >= 3 * len(got_slow) - 2
