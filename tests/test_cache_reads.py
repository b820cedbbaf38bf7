"""The build cache's record of reads (depends.Reads on disk): a cached build finds what
changed from the print of the last model it keeps (depends.ModelPrint), evaluates again only
the keys that change can reach, and saves a record as lean as a build from scratch's.
(test_cache.py and test_rebuild_engines.py check the files such builds make.)"""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from kbgen import depends, render
from kbgen.build import BuildOptions, build, load_site
from kbgen.cache import cache_files, load_cache, load_reads
from kbgen.config import load_config
from kbgen.depends import Key, ModelPrint, Reads, model_change
from kbgen.sources import Source
from tests.helpers import REPO, assert_same_record
from tests.test_rebuild_engines import EDITS, _on_disk, new_page, theme_override

FR_ROLE = "content/fr/articles/community-management/representatives-role.md"
ROLE_KEY = "article:articles/community-management/representatives-role"


def _options(root: Path, out: str = "site", cache: bool = True) -> BuildOptions:
    return BuildOptions(root / "config.yaml", output=root / out, cache=cache, jobs=1)


def _saved_reads(root: Path) -> Reads:
    config = load_config(root / "config.yaml")
    files = cache_files(config, (root / "site").resolve())
    cached = load_cache(files.state)
    assert cached is not None
    reads = load_reads(files.reads, cached, cached.render_key)
    assert reads is not None
    return reads


def _counting(monkeypatch: Any) -> list[Key]:
    """The keys `depends.evaluate` is asked for from now on."""
    asked: list[Key] = []
    evaluate = depends.evaluate

    def counted(site: Any, key: Key) -> object:
        asked.append(key)
        return evaluate(site, key)

    monkeypatch.setattr(depends, "evaluate", counted)
    return asked


def test_a_one_page_edit_evaluates_only_the_keys_it_can_reach(
    example_copy: Path, monkeypatch: Any
) -> None:
    build(_options(example_copy))
    recorded = _saved_reads(example_copy)
    asked = _counting(monkeypatch)
    path = example_copy / FR_ROLE
    path.write_text(path.read_text(encoding="utf-8") + "\nUne phrase de plus.\n", "utf-8")
    result = build(_options(example_copy))
    assert result.written < result.kept
    # the attributes of the pages that did not change are not read again: a French text
    # changes its translations (outdated banners) and French articles (related ones) only
    read_pages = {(k[1], k[2]) for k in asked if k[0] == "p"}
    assert ("fr", ROLE_KEY) in read_pages
    assert all(lang == "fr" or key == ROLE_KEY for lang, key in read_pages)
    assert len(read_pages) < len(recorded.pages) / 4
    # nor the other keys that looked only at what did not change
    others = [k for k in asked if k[0] != "p"]
    assert len(others) < len(recorded.values) / 4
    build(_options(example_copy, "cold", cache=False))
    assert _on_disk(example_copy / "site") == _on_disk(example_copy / "cold")


def test_nothing_changed_in_the_model_evaluates_only_what_tokens_do_not_cover(
    example_copy: Path, monkeypatch: Any
) -> None:
    build(_options(example_copy))
    recorded = _saved_reads(example_copy)
    asked = _counting(monkeypatch)
    os.utime(example_copy / FR_ROLE)  # read again, the same model made
    build(_options(example_copy))
    assert not [k for k in asked if k[0] == "p"]
    untracked = [k for k, t in recorded.touched.items() if t is None]
    assert sorted(asked) == sorted(untracked)


def test_every_key_the_default_theme_reads_says_what_it_looks_at(example_copy: Path) -> None:
    """A key none of whose lookups is known is evaluated again on every rebuild (a tag's
    pages were, each a list as long as the language's tagged pages)."""
    build(_options(example_copy))
    recorded = _saved_reads(example_copy)
    assert any(key[:2] == ("s", "tagged") for key in recorded.values)
    assert [key for key, looked in recorded.touched.items() if looked is None] == []


def test_the_print_finds_the_pages_the_model_comparison_finds(example_copy: Path) -> None:
    before = load_site(_options(example_copy)).site
    for edit in EDITS:
        if edit is theme_override:  # (a config and theme change: no model comparison)
            continue
        edit(example_copy)
        after = load_site(_options(example_copy)).site
        found = ModelPrint.of(before).change(ModelPrint.of(after))
        expected = model_change(before, after)
        assert found.pages == expected.pages, edit.__name__
        assert found.tokens is not None and expected.tokens is not None
        # (every table and the list of pages are taken as changed by a model comparison)
        tables = {t for t in expected.tokens if t[0] == "table"}
        if not expected.pages:
            tables.add(depends.ALL)
        assert expected.tokens - tables - found.tokens == set(), edit.__name__
        before = after


PRINT = """
import pickle, sys
from pathlib import Path
from kbgen.build import BuildOptions, load_site
from kbgen.depends import ModelPrint
site = load_site(BuildOptions(Path(sys.argv[1]))).site
sys.stdout.buffer.write(pickle.dumps(ModelPrint.of(site)))
"""


def test_the_print_is_the_same_in_every_process(example_copy: Path) -> None:
    # sets (a body's anchors) iterate in another order under another hash seed
    prints = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", PRINT, str(example_copy / "config.yaml")],
            env=env,
            capture_output=True,
            check=True,
            timeout=300,
        )
        prints.append(pickle.loads(done.stdout))
    assert prints[0].pages == prints[1].pages
    change = prints[0].change(prints[1])
    assert change.pages == set()
    assert change.tokens is not None
    assert {t for t in change.tokens if not t[1].startswith("_")} == set()  # (own: derived)


def test_the_saved_record_holds_exactly_what_its_files_read(example_copy: Path) -> None:
    # the record saved after a build that made a few files again, pruned of what only they
    # read before, is the one a build from scratch saves
    build(_options(example_copy))
    new_page(example_copy)
    (example_copy / "content/en/faq/community-rules/when-to-share.md").unlink()
    path = example_copy / FR_ROLE
    path.write_text(path.read_text(encoding="utf-8").replace("weight: 1\n", "weight: 9\n"))
    build(_options(example_copy))
    kept = _saved_reads(example_copy)
    for cache in (example_copy / ".kbgen-cache").iterdir():
        if cache.name.startswith(("reads-", "build-")):
            cache.unlink()
    build(_options(example_copy))
    fresh = _saved_reads(example_copy)
    assert_same_record(kept, fresh)


def test_site_methods_are_recorded_as_the_record_would_evaluate_them(
    example_copy: Path, monkeypatch: Any
) -> None:
    # a build records what each site method a template called gave and looked at as it was
    # called (through depends.Lookups); the same build with the record evaluating each of
    # them once more, as serve's does, saves the same record
    build(_options(example_copy))
    called = _saved_reads(example_copy)
    asked = _counting(monkeypatch)

    class Unevaluated(depends.Recorder):  # the calls left for the record to evaluate
        def __init__(self, lookups: depends.Lookups | None = None) -> None:
            super().__init__(None)

    monkeypatch.setattr(render, "Recorder", Unevaluated)
    shutil.rmtree(example_copy / ".kbgen-cache")
    build(_options(example_copy))
    evaluated = _saved_reads(example_copy)
    assert sum(key[0] == "s" for key in asked) > 100  # (the calls were evaluated again)
    assert {k: v for k, v in called.values.items() if k[0] == "s"}
    assert_same_record(called, evaluated)


def _one_object_each(reads: Reads) -> None:
    """Every key the files read, and every token the keys looked at, is one object however
    many read it: the saved record holds it once."""
    keys = [key for _, read in reads.files.values() for key in read]
    assert len({id(k) for k in keys}) == len(set(keys))
    tokens = [t for looked in reads.touched.values() if looked for t in looked]
    assert len({id(t) for t in tokens}) == len(set(tokens))


def test_the_saved_record_holds_each_key_once(example_copy: Path) -> None:
    build(_options(example_copy))
    _one_object_each(_saved_reads(example_copy))
    path = example_copy / FR_ROLE  # a few files made again, with keys read before and new
    path.write_text(path.read_text(encoding="utf-8").replace("weight: 1\n", "weight: 9\n"))
    new_page(example_copy)
    build(_options(example_copy))
    _one_object_each(_saved_reads(example_copy))


def test_bodies_and_sources_are_digested_once_and_cached_with_their_digest(
    example_copy: Path,
) -> None:
    """The model's print digests each page's body and source once (they are replaced whole,
    never changed) and the cache keeps that digest with them, so a cached build does not
    digest again the texts of pages it did not parse again."""
    import copy

    from kbgen import cache

    build(_options(example_copy))
    config = load_config(example_copy / "config.yaml")
    files = cache_files(config, (example_copy / "site").resolve())
    base = cache._load(files.bodies)
    assert isinstance(base, cache._Base)
    bodies = [entry.body for entry in base.value.entries.values()]  # type: ignore[union-attr]
    assert bodies and all("_digest" in body.__dict__ for body in bodies)
    for body in bodies[:5]:  # the kept digest is the one its fields give
        fresh = copy.copy(body)
        del fresh.__dict__["_digest"]
        assert depends._digest_once(fresh) == body.__dict__["_digest"]
    sources = cache._load(files.sources)
    assert isinstance(sources, cache._Base)
    read = [found[1][0] for found in sources.value.files.values()]  # type: ignore[union-attr]
    # (a FAQ group's _section.md makes no page of its own: not in the print)
    pages = [s for s in read if isinstance(s, Source) and s.kind != "faq_group"]
    assert pages and all("_digest" in source.__dict__ for source in pages)
