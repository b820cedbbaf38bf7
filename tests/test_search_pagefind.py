"""search.engine: pagefind, at build time: the config key, the bundles, the rebuild, serve."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from kbgen.build import BuildOptions, build
from kbgen.search.index import SearchDoc
from kbgen.search.pagefind import bundle, record_html
from tests.helpers import REPO, assert_clean_failure, edit_file, run_kbgen


def _use_pagefind(root: Path) -> Path:
    config = root / "config.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "search:\n  engine: pagefind\n", "utf-8")
    return config


def test_an_unknown_engine_names_the_key_and_line(example_copy: Path, tmp_path: Path) -> None:
    (example_copy / "config.yaml").write_text(
        "languages: [fr, vi, en]\nsearch:\n  engine: elastic\n", encoding="utf-8"
    )
    result = run_kbgen("build", "--output", str(tmp_path / "out"), cwd=example_copy)
    assert_clean_failure(result)
    assert (
        "config.yaml:3: error: 'search.engine': must be one of lunr | pagefind, got 'elastic'"
        in result.stderr
    )


def test_pagefind_not_installed_says_what_to_install(
    example_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("kbgen.config._pagefind_missing", lambda: "the pagefind package")
    config = _use_pagefind(example_copy)
    from kbgen.diagnostics import BuildFailed

    with pytest.raises(BuildFailed) as failed:
        build(BuildOptions(config, output=tmp_path / "out"))
    message = failed.value.diagnostics.items[0]
    assert message.file == config and message.line is not None
    assert 'needs the pagefind package: pip install "kbgen[pagefind]"' in message.message


def test_one_bundle_per_language_and_the_policy_it_needs(
    example_copy: Path, tmp_path: Path
) -> None:
    result = build(BuildOptions(_use_pagefind(example_copy), output=tmp_path / "out"))
    site = result.output
    assert not (site / "assets/search/fr.json").exists()  # no lunr index
    for lang in ("fr", "vi", "en"):
        folder = site / f"assets/search/pagefind-{lang}"
        entry = json.loads((folder / "pagefind-entry.json").read_text(encoding="utf-8"))
        assert list(entry["languages"]) == [lang]
        assert (folder / "pagefind.js").is_file() and (folder / "pagefind-worker.js").is_file()
        assert not list(folder.glob("pagefind-ui*"))  # Pagefind's own UI is not shipped
        assert list(folder.glob("fragment/*.pf_fragment"))
    html = (site / "fr/index.html").read_text(encoding="utf-8")
    assert 'data-engine="pagefind"' in html
    assert 'data-index="../assets/search/pagefind-fr/pagefind.js"' in html
    assert "search-pagefind." in html
    assert (
        "search via pagefind needs Content-Security-Policy: script-src 'self' 'wasm-unsafe-eval'"
        in result.notes
    )


def test_a_rebuild_keeps_the_bundles_of_unchanged_languages(
    example_copy: Path, tmp_path: Path
) -> None:
    config, out = _use_pagefind(example_copy), tmp_path / "out"
    build(BuildOptions(config, output=out))
    before = {p: p.stat().st_mtime_ns for p in (out / "assets/search").rglob("*") if p.is_file()}
    article = next((example_copy / "content/en/articles").rglob("[!_]*.md"))
    edit_file(article, "\n", "\n")  # touched, same text: nothing to index again
    article.write_text(article.read_text(encoding="utf-8") + "\nZebracorn.\n", "utf-8")
    build(BuildOptions(config, output=out))
    after = {p: p.stat().st_mtime_ns for p in (out / "assets/search").rglob("*") if p.is_file()}
    for lang in ("fr", "vi"):
        kept = [p for p in before if f"pagefind-{lang}/" in str(p)]
        assert kept and all(after.get(p) == before[p] for p in kept)
    en = [p for p in after if "pagefind-en/" in str(p)]
    assert any(
        b"Zebracorn" in __import__("gzip").decompress(p.read_bytes())
        for p in en
        if p.suffix == ".pf_fragment"
    )
    # every file of the output is one the build wrote: no bundle file left over
    marker = json.loads((out / ".kbgen-output.json").read_text(encoding="utf-8"))
    listed = {p for p in marker["files"]} if isinstance(marker, dict) else set(marker)
    for path in after:
        assert path.relative_to(out).as_posix() in listed


def test_records_carry_no_markup_from_the_text() -> None:
    doc = SearchDoc("fr/articles/a/", "<b>Titre</b> & co", "S", "", "<script>x</script>")
    html = record_html("fr", doc)
    assert "<b>" not in html and "<script>" not in html
    files = bundle("fr", [doc])
    assert "pagefind-entry.json" in files


def test_serve_builds_a_bundle_when_first_asked_and_after_an_edit(example_copy: Path) -> None:
    from tests.serving import kbgen_serve
    from tests.test_serve import _request

    _use_pagefind(example_copy)
    with kbgen_serve(example_copy) as served:
        status, page, headers = _request(served.url, "/fr/")
        assert "'wasm-unsafe-eval'" in headers["Content-Security-Policy"]
        assert b'data-index="../assets/search/pagefind-fr/pagefind.js"' in page
        status, entry, _ = _request(served.url, "/assets/search/pagefind-fr/pagefind-entry.json")
        assert status == 200 and json.loads(entry)["languages"]["fr"]["page_count"] > 0
        meta = "pagefind." + json.loads(entry)["languages"]["fr"]["hash"] + ".pf_meta"
        assert _request(served.url, "/assets/search/pagefind-fr/" + meta)[0] == 200
        first = served.state()
        article = next((example_copy / "content/fr/articles").rglob("[!_]*.md"))
        article.write_text(article.read_text(encoding="utf-8") + "\nZanzibarite.\n", "utf-8")
        version, error = int(first["version"]), int(first["error"])
        served.wait_for(version, error, lambda s: s["version"] != version)
        status, again, _ = _request(served.url, "/assets/search/pagefind-fr/pagefind-entry.json")
        assert status == 200 and json.loads(again)["languages"]["fr"]["hash"] not in meta


def test_serve_lists_the_pagefind_bundles_files_as_its_search_files(example_copy: Path) -> None:
    """LiveSite.search_paths under Pagefind: each language's bundle, file by file (not the
    lunr engine's index and snippet files), every one answered by search_data."""
    from kbgen.incremental import LiveSite

    live = LiveSite(BuildOptions(_use_pagefind(example_copy)))
    assert live.build().ok
    paths = live.search_paths()
    for lang in ("fr", "vi", "en"):
        assert f"assets/search/pagefind-{lang}/pagefind-entry.json" in paths
    assert not [p for p in paths if not p.startswith("assets/search/pagefind-")]
    assert all(live.search_data(path) for path in paths)


def test_the_browser_leaves_out_the_stop_words_of_the_lunr_engine() -> None:
    """search-pagefind.js carries its own copy of the stop words lunr's queries leave out."""
    from lunr.stop_word_filter import WORDS

    from kbgen.search.pipeline import FRENCH_STOP_WORDS

    script = (REPO / "themes/default/static/js/search-pagefind.js").read_text(encoding="utf-8")
    block = script.split("var STOP_WORDS = {", 1)[1].split("};", 1)[0]
    lists = {
        lang: set("".join(re.findall(r'"([^"]*)"', text)).split())
        for lang, text in re.findall(r"(\w+): ((?:\"[^\"]*\"[\s+]*)+)", block)
    }
    assert lists == {"en": set(WORDS), "fr": set(FRENCH_STOP_WORDS)}


def test_the_binarys_answers_are_read_across_and_within_reads() -> None:
    """Answers cut anywhere by the pipe: many in one read, one over several reads."""
    import io

    from kbgen.search.pagefind import _Answers, _encode

    sent = [{"type": "IndexedFile", "n": n, "text": "x" * (n * 37)} for n in range(60)]
    data = b"".join(_encode(n, payload) for n, payload in enumerate(sent))

    class Pipe(io.RawIOBase):
        """Gives the bytes in reads of 1 to 97 bytes in turn, and every tenth of 3,000."""

        def __init__(self) -> None:
            self.at, self.size, self.reads = 0, 0, 0

        def read1(self, limit: int = -1) -> bytes:
            self.size, self.reads = self.size % 97 + 1, self.reads + 1
            piece = data[self.at : self.at + (3000 if self.reads % 10 == 0 else self.size)]
            self.at += len(piece)
            return piece

    answers = _Answers(Pipe())
    assert [answers.next() for _ in sent] == sent
    with pytest.raises(OSError, match="stopped"):
        answers.next()
