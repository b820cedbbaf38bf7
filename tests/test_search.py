"""Search at build time: normalization, stemmers, the index files, the search page, config."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import tempfile
import unicodedata
from pathlib import Path

import pytest
from lunr.stemmer import stemmer as lunr_py_stemmer
from lunr.token import Token

from kbgen.build import BuildOptions, BuildResult, build
from kbgen.cache import WordsFile, load_words
from kbgen.search.index import (
    FORMAT,
    SNIPPETS_PER_FILE,
    build_index,
    build_index_with_lunr_py,
    documents,
    expand,
    shorten,
)
from kbgen.search.index import (
    search_file as make_file,
)
from kbgen.search.normalize import fold, normalize, words
from kbgen.search.query import SearchFile, search
from kbgen.search.stemmers import stem_en, stem_fr
from tests.helpers import REPO, assert_clean_failure, run_kbgen, tags

VENDOR = REPO / "themes" / "default" / "static" / "vendor" / "lunr-2.3.9"
# sha256 of lunr.min.js in the npm package lunr@2.3.9
LUNR_MIN_SHA256 = "0c50d9002b85780a842afffb567bb54ede402dae7c6dc5997a018614d8044fc8"


def search_file(site: Path, lang: str) -> SearchFile:
    return SearchFile.read(site, lang)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("L’été, qu’il pleut", ["l", "été", "qu", "il", "pleut"]),
        ("thức? (base) «\u00a0forum\u00a0»", ["thức", "base", "forum"]),
        ("10\u202f% e\u2011mail co-so", ["10", "e", "mail", "co", "so"]),
        ("aujourd'hui REGLES", ["aujourd'hui", "regles"]),
        (unicodedata.normalize("NFD", "Cơ sở"), ["cơ", "sở"]),
        ("*wild*", ["wild"]),
    ],
)
def test_words(text: str, expected: list[str]) -> None:
    assert words(text) == expected
    assert normalize(text) == " ".join(expected)


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("cơ sở tri thức", "co so tri thuc"),
        ("diễn đàn", "dien dan"),
        ("Đà", "Da"),
        ("règles", "regles"),
        ("cœur", "coeur"),
        (unicodedata.normalize("NFD", "thức"), "thuc"),
    ],
)
def test_fold(word: str, expected: str) -> None:
    assert fold(word) == expected


def test_english_stemmer_is_lunr_js_not_lunr_py() -> None:
    """lunr.py's stemmer turns "display" into "displai", which lunr.js never produces."""
    assert [stem_en(w) for w in ("display", "key", "day", "array", "cry", "running")] == [
        "display",
        "key",
        "day",
        "array",
        "cri",
        "run",
    ]
    assert str(lunr_py_stemmer(Token("display"))) == "displai"
    assert stem_en("này") == "này"  # only a-z words are stemmed


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("règles", "règl"),
        ("regles", "regl"),
        ("données", "donn"),
        ("donner", "donn"),
        ("chevaux", "cheval"),
        ("été", "été"),
        ("base", "bas"),
        ("bases", "bas"),
        ("guides", "guid"),
    ],
)
def test_french_stemmer(word: str, expected: str) -> None:
    assert stem_fr(word) == expected


def test_lunr_js_is_vendored_unmodified() -> None:
    assert hashlib.sha256((VENDOR / "lunr.min.js").read_bytes()).hexdigest() == LUNR_MIN_SHA256
    assert "MIT" in (VENDOR / "LICENSE").read_text(encoding="utf-8")


def test_one_index_per_language(example_site: Path) -> None:
    for lang, pipeline in (
        ("fr", ["kbgen-stop-fr", "kbgen-stem-fr"]),
        ("vi", []),
        ("en", ["stopWordFilter", "kbgen-stem-en"]),
    ):
        (path,) = (example_site / "assets" / "search").glob(f"{lang}.json")
        data = json.loads(path.read_bytes())
        assert data["lang"] == lang
        assert data["index"]["version"] == "2.3.9"
        assert data["index"]["pipeline"] == pipeline
        assert set(data["index"]["fields"]) == {*"thbsdg", "tf", "hf", "bf", "sf", "df", "gf"}
        urls = [doc[0] for doc in data["docs"]]
        assert f"{lang}/rules/" in urls
        assert any(u.startswith(f"{lang}/faq/") for u in urls)
        assert any(u.startswith(f"{lang}/articles/") for u in urls)
        assert not any("/replies/" in u for u in urls)  # search.include_replies is false
        assert all(len(doc) == 3 for doc in data["docs"])  # the texts are not in the index
        texts = SearchFile.read(example_site, lang).texts
        assert len(texts) == len(urls) and all(texts)
        for url, text in zip(urls, texts, strict=True):
            assert not re.search(r"<[a-z/]", text), url  # plain text, no markup
        assert data["snippets"] == SNIPPETS_PER_FILE
        assert len(list((path.parent / lang).glob("*.json"))) == -(-len(urls) // SNIPPETS_PER_FILE)
        page = (example_site / lang / "index.html").read_text(encoding="utf-8")
        assert f'data-index="../assets/search/{path.name}"' in page


def test_every_page_has_the_search_box(example_site: Path) -> None:
    for page in example_site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        if 'http-equiv="refresh"' in html or page == example_site / "index.html":
            continue  # redirects and the language chooser
        found = [a for t, a in tags(html) if t == "form" and "search-box" in (a["class"] or "")]
        assert len(found) == 1, page
        assert "<script>" not in html and " onclick=" not in html


def test_search_page_may_be_indexed_but_is_not_in_the_sitemap(example_site: Path) -> None:
    # The bare search page is a landing page (Lighthouse's SEO audit fails a `noindex` one);
    # its `?q=` results share its HTML and canonical link, and the script marks them noindex.
    for lang in ("fr", "vi", "en"):
        html = (example_site / lang / "search" / "index.html").read_text(encoding="utf-8")
        assert 'name="robots"' not in html
        assert f'<link rel="canonical" href="https://kb.example.com/{lang}/search/">' in html
        assert 'id="search-results"' in html
    sitemap = (example_site / "sitemap.xml").read_text(encoding="utf-8")
    assert "/search/" not in sitemap


def test_a_language_with_nothing_to_index_gets_an_empty_index(
    example_copy: Path, tmp_path: Path
) -> None:
    for page in (example_copy / "content" / "en").rglob("*.md"):
        if page.name != "_index.md":
            page.unlink()
    # en shows the fr pages as fallbacks, which are not indexed: nothing is
    site = build(BuildOptions(example_copy / "config.yaml", output=tmp_path / "site")).output
    data = json.loads((site / "assets/search/en.json").read_bytes())
    assert data["docs"] == [] and data["index"]["terms"] == []
    assert expand(data["index"])["fieldVectors"] == []


def test_exact_accents_rank_first(tmp_path: Path) -> None:
    """Every page holding "bạn" as typed comes before the pages holding only "bàn", "bán"
    or "ban"; without accents typed, all four are found."""
    from tests.search_corpus import write_corpus

    config = write_corpus(tmp_path)
    site = build(BuildOptions(config, output=tmp_path / "site")).output
    index = search_file(site, "vi")
    hits = search(index.index, "bạn")
    texts = [index.docs[h.ref][1] + " " + index.texts[h.ref] for h in hits]
    with_accents = [i for i, text in enumerate(texts) if "bạn" in text.lower()]
    assert with_accents == list(range(len(with_accents))) and len(with_accents) == 2
    assert len(hits) > len(with_accents)
    found = set(index.search("ban"))
    assert {
        "vi/articles/communaute/ban-be/",
        "vi/articles/compte/ban-lam-viec/",
        "vi/articles/compte/ban-hang/",
        "vi/articles/communaute/ban-quan-tri/",
    } <= found


def test_replies_are_indexed_when_asked(example_copy: Path, tmp_path: Path) -> None:
    config = example_copy / "config.yaml"
    config.write_text(
        config.read_text(encoding="utf-8") + "search:\n  include_replies: true\n", "utf-8"
    )
    site = build(BuildOptions(config, output=tmp_path / "out")).output
    urls = [doc[0] for doc in search_file(site, "en").docs]
    assert "en/replies/price-change/" in urls  # each template's own page


def test_search_can_be_turned_off(example_copy: Path, tmp_path: Path) -> None:
    config = example_copy / "config.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "search:\n  enabled: false\n", "utf-8")
    site = build(BuildOptions(config, output=tmp_path / "out")).output
    assert not (site / "assets" / "search").exists()
    assert not (site / "fr" / "search").exists()
    html = (site / "fr" / "index.html").read_text(encoding="utf-8")
    assert "search-box" not in html and "search-ui" not in html


def test_search_config_problems_name_key_and_line(example_copy: Path, tmp_path: Path) -> None:
    (example_copy / "config.yaml").write_text(
        "languages: [fr, vi, en]\nsearch:\n  enabled: yes please\n  colour: blue\n",
        encoding="utf-8",
    )
    result = run_kbgen("build", "--output", str(tmp_path / "out"), cwd=example_copy)
    assert_clean_failure(result)
    assert "config.yaml:3: error: 'search.enabled': must be true or false" in result.stderr
    assert "config.yaml:4: error: 'search.colour': unknown key" in result.stderr


def test_the_analyzed_words_memo_changes_nothing_but_the_work(
    example_build: BuildResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A search file built with the cache's analyzed words of an earlier build (one
    document edited, one gone) is the file built without them; only the edited document is
    analyzed again, and the memo keeps only what this build used."""
    from dataclasses import replace

    import kbgen.search.index as index

    assert example_build.site is not None
    docs = documents(example_build.site, "fr", include_replies=True)
    memo = tmp_path / "words-fr.pickle"
    make_file("fr", docs, WordsFile(memo))
    edited = [replace(docs[0], text=docs[0].text + " Une phrase ajoutée."), *docs[2:]]
    analyzed: list[str] = []
    real = index.FastBuilder.analyze

    def spied(self: index.FastBuilder, values: dict[str, dict[str, int]]) -> object:
        analyzed.append(" ".join(values["b"]))
        return real(self, values)

    monkeypatch.setattr(index.FastBuilder, "analyze", spied)
    assert make_file("fr", edited, WordsFile(memo)) == make_file("fr", edited)
    assert len(analyzed) == 1 + len(edited)  # the edited one, then all without the memo
    assert "ajoutée" in analyzed[0]
    assert set(load_words(memo)) == {index.analysis_key(d) for d in edited}


def test_the_index_file_holds_no_field_vectors(tmp_path: Path) -> None:
    """The file's index (what the first search downloads) is under half of lunr's serialized
    index, gzipped, in Vietnamese too, where nearly every word has a folded twin: the field
    vectors, four fifths of lunr's index, are computed again in the browser from the counts
    in the postings (the test above: to the same index)."""
    from tests.search_corpus import write_corpus

    site = build(BuildOptions(write_corpus(tmp_path), output=tmp_path / "site")).site
    for lang in ("vi", "fr", "en"):
        docs = documents(site, lang, include_replies=False)
        lunr_index = json.dumps(build_index(lang, docs), separators=(",", ":")).encode()
        ours = json.loads(make_file(lang, docs))["index"]
        written = json.dumps(ours, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        assert len(gzip.compress(written, 6)) < len(gzip.compress(lunr_index, 6)) / 2, lang
        assert "vectors" not in ours


@pytest.mark.parametrize("lang", ["fr", "vi", "en"])
def test_fast_builder_writes_what_lunr_py_writes(example_build: BuildResult, lang: str) -> None:
    """kbgen's builder and lunr.py's Builder (the reference) give byte-identical indexes,
    on the example site and on the search test corpus."""
    from tests.search_corpus import write_corpus

    sites = [example_build.site]
    with tempfile.TemporaryDirectory() as folder:
        config = write_corpus(Path(folder))
        sites.append(build(BuildOptions(config, output=Path(folder) / "site")).site)
    for site in sites:
        docs = documents(site, lang, include_replies=True)
        assert len(docs) > 10
        reference = build_index_with_lunr_py(lang, docs)
        assert json.dumps(build_index(lang, docs)) == json.dumps(reference)
        # the file is written piece by piece: the same bytes as the whole dumped at once
        short = shorten(lang, docs)
        whole = {
            "format": FORMAT,
            "lang": lang,
            "index": short,
            "docs": [[d.url, d.title, d.section] for d in docs],
            "snippets": SNIPPETS_PER_FILE,
        }
        dumped = json.dumps(whole, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        assert make_file(lang, docs) == dumped
        # and what the file holds stands for the whole index
        assert json.dumps(expand(short)) == json.dumps(reference)
