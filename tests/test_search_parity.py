"""Search gives the same pages in the same order in Python (lunr.py, the reference) and in the
browser (lunr.js 2.3.9 in the site's own worker), and the expected page first.

The expected first page of every query makes these tests fail when folding or ranking breaks,
not only when the two sides disagree.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lunr.index import Index
from lunr.pipeline import Pipeline
from lunr.query import QueryPresence

from kbgen.build import BuildOptions, build
from kbgen.search.index import EXACT_FIELDS, expand
from kbgen.search.normalize import fold, words
from kbgen.search.query import ALL_FIELDS, WHOLE_WORD, SearchFile, plan, search
from tests.helpers import REPO, serve
from tests.search_browser import run_expand, run_queries, run_words
from tests.search_corpus import write_corpus

NFD = lambda text: unicodedata.normalize("NFD", text)  # noqa: E731

# (query, the URL expected first, relative to the language); None: nothing may be found
CORPUS_QUERIES: dict[str, list[tuple[str, str | None]]] = {
    "vi": [
        ("bạn", "articles/communaute/ban-be/"),
        ("bàn", "articles/compte/ban-lam-viec/"),
        ("bán", "articles/compte/ban-hang/"),
        ("ban", "articles/communaute/ban-quan-tri/"),
        ("bạn bè", "articles/communaute/ban-be/"),
        ("bạ", "articles/communaute/ban-be/"),
        ("co so tri thuc", "articles/communaute/co-so-tri-thuc/"),
        ("cơ sở tri thức", "articles/communaute/co-so-tri-thuc/"),
        (NFD("cơ sở tri thức"), "articles/communaute/co-so-tri-thuc/"),
        ("tri thúc", "articles/communaute/co-so-tri-thuc/"),
        ("thức?", "articles/communaute/co-so-tri-thuc/"),
        ("co so tri th", "articles/communaute/co-so-tri-thuc/"),
        ("dien dan", "articles/communaute/dien-dan/"),
        ("diễn đàn", "articles/communaute/dien-dan/"),
        ("DIỄN ĐÀN!", "articles/communaute/dien-dan/"),
        ("dang nhap", "articles/compte/dang-nhap/"),
        ("mat khau", "articles/compte/dang-nhap/"),
        ("này", "articles/compte/ngay-gio/"),
        ("ngày", "articles/compte/ngay-gio/"),
        ("vậy", "articles/compte/ngay-gio/"),
        ("máy", "articles/compte/may-in/"),
        ("may in", "articles/compte/may-in/"),
        # every word in the title: above a page that repeats them, as typed, in its body
        ("dau vao", "articles/compte/dau-vao/"),
        ("dau", "articles/compte/dau-vao/"),
        ("đầu vào", "articles/compte/dau-vao/"),
        ("xyzzy", None),
    ],
    "fr": [
        ("règles", "articles/communaute/regles/"),
        ("regles", "articles/communaute/regles/"),
        ("REGLES", "articles/communaute/regles/"),
        ("règle", "articles/communaute/regles/"),
        (NFD("règles"), "articles/communaute/regles/"),
        ("régl", "articles/communaute/regles/"),
        ("été", "articles/compte/ete/"),
        ("ete", "articles/compte/ete/"),
        ("l’été", "articles/compte/ete/"),
        ("l'ete", "articles/compte/ete/"),
        ("base de connaissances", "articles/communaute/base/"),
        ("base connaissance", "articles/communaute/base/"),
        ("connaissances\u202f?", "articles/communaute/base/"),
        ("connaiss", "articles/communaute/base/"),
        ("mot de passe oublie", "articles/compte/mot-de-passe/"),
        ("parametres du compte", "articles/compte/parametres/"),
        ("paramètres", "articles/compte/parametres/"),
        ("securite", "articles/compte/securite/"),
        ("«\u00a0sécurité\u00a0»", "articles/compte/securite/"),
        ("e-mail", "articles/compte/email/"),
        ("adresse e\u2011mail", "articles/compte/email/"),
        ("journal", "articles/compte/journaux/"),
        ("journaux", "articles/compte/journaux/"),
        ("noel", "articles/compte/noel/"),
        ("coeur", "articles/communaute/coeur/"),
        ("cœur", "articles/communaute/coeur/"),
        ("forum", "articles/communaute/forum/"),
    ],
    "en": [
        ("display", "articles/compte/display/"),
        ("displays", "articles/compte/display/"),
        ("displ", "articles/compte/display/"),
        ("the display", "articles/compte/display/"),
        ("key", "articles/compte/keys/"),
        ("keys", "articles/compte/keys/"),
        ("day", "articles/communaute/days/"),
        ("days", "articles/communaute/days/"),
        ("array", "articles/compte/arrays/"),
        ("arrays", "articles/compte/arrays/"),
        ("password reset", "articles/compte/password/"),
        ("reset password", "articles/compte/password/"),
        ("password?", "articles/compte/password/"),
        ("billing", "articles/compte/billing/"),
        ("invoice", "articles/compte/billing/"),
        ("e-mail address", "articles/compte/email/"),
        ("cafe", "articles/communaute/cafe/"),
        ("café", "articles/communaute/cafe/"),
        ("happiness", "articles/communaute/happy/"),
        ("happy", "articles/communaute/happy/"),
    ],
}

EXAMPLE_QUERIES: dict[str, list[tuple[str, str | None]]] = {
    "fr": [
        ("regles communaute", "rules/"),
        ("modeles de reponse", "faq/modeles-de-reponse/"),
        ("changement de prix", "faq/repondre-changement-de-prix/"),
        ("libre service", "articles/self-service/pourquoi-le-libre-service/"),
    ],
    "vi": [
        ("quy tắc cộng đồng", "rules/"),
        ("mau tra loi", "faq/mau-tra-loi/"),
        ("tu phuc vu", "articles/self-service/vi-sao-tu-phuc-vu/"),
        ("cãi vã", "faq/dong-chu-de-cai-va/"),
        ("dai dien", "articles/community-management/vai-tro-cua-dai-dien/"),
    ],
    "en": [
        ("quarrel", "faq/close-quarrel-thread/"),
        ("reply templates", "faq/reply-templates/"),
        ("price change", "faq/price-change-thread/"),
    ],
}


@pytest.fixture(scope="module")
def corpus_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("search-corpus")
    config = write_corpus(root)
    result = build(BuildOptions(config, output=root / "site"))
    assert sum(result.pages_per_language.values()) >= 60
    return result.output


@pytest.fixture(scope="module")
def served(corpus_site: Path, example_site: Path) -> Iterator[dict[str, str]]:
    with serve(corpus_site) as corpus, serve(example_site) as example:
        yield {"corpus": corpus, "example": example}


def search_file(site: Path, lang: str) -> SearchFile:
    (path,) = (site / "assets" / "search").glob(f"{lang}.json")
    return SearchFile.load(path.read_bytes())


def test_there_are_enough_queries() -> None:
    count = sum(len(q) for table in (CORPUS_QUERIES, EXAMPLE_QUERIES) for q in table.values())
    assert count >= 50


@pytest.mark.parametrize("lang", ["fr", "vi", "en"])
def test_python_finds_the_expected_page_first(
    corpus_site: Path, example_site: Path, lang: str
) -> None:
    for site, table in ((corpus_site, CORPUS_QUERIES), (example_site, EXAMPLE_QUERIES)):
        index = search_file(site, lang)
        for query, expected in table[lang]:
            found = index.search(query)
            if expected is None:
                assert found == [], query
            else:
                assert found and found[0] == f"{lang}/{expected}", (query, found[:3])


def typed_queries(site: Path, lang: str) -> list[str]:
    """Queries as readers type them, from the site's titles: each title's first words, folded,
    and cut after two or three letters of the last word (a prefix that begins many words)."""
    found = []
    for _, title, _ in search_file(site, lang).docs[:40]:
        typed = words(title)[:3]
        if not typed:
            continue
        found += [" ".join(typed), fold(" ".join(typed))]
        found += [" ".join([*typed[:-1], typed[-1][:n]]) for n in (2, 3)]
        found.append(fold(typed[0][:2]))
    return list(dict.fromkeys(found))


def lunr_ranking(index: Index, query: str) -> list[tuple[int, int, bool, float]]:
    """query.py's search() as it was, through lunr.py's own index.query(): the reference
    its own scoring (written for speed) must give to the same order and scores."""
    terms = plan(index, query)
    if not terms:
        return []
    q = index.create_query()
    for term in terms:
        star = "*" if term.prefix else ""
        required = QueryPresence.REQUIRED
        q.clause(term=term.folded + star, fields=ALL_FIELDS, use_pipeline=False, presence=required)
        if term.prefix:
            q.clause(term=term.folded, fields=ALL_FIELDS, use_pipeline=False, boost=WHOLE_WORD)
        if term.exact != term.folded:
            q.clause(term=term.exact + star, fields=list(EXACT_FIELDS), use_pipeline=False)
    hits = []
    for result in index.query(q):
        metadata = result["match_data"].metadata
        exact = sum(
            any(
                term.matches_exactly(found) and any(f in EXACT_FIELDS for f in fields)
                for found, fields in metadata.items()
            )
            for term in terms
        )
        title = all(
            any(term.in_title(found, fields) for found, fields in metadata.items())
            for term in terms
        )
        hits.append((int(result["ref"]), exact, title, result["score"]))
    hits.sort(key=lambda h: (-h[2], -h[1], -math.floor(h[3] * 1e6 + 0.5), h[0]))
    return hits


@pytest.mark.parametrize("lang", ["fr", "vi", "en"])
def test_python_scores_as_lunrs_own_query(corpus_site: Path, example_site: Path, lang: str) -> None:
    for site, table in ((corpus_site, CORPUS_QUERIES), (example_site, EXAMPLE_QUERIES)):
        index = search_file(site, lang).index
        for query in [q for q, _ in table[lang]] + typed_queries(site, lang):
            expected = lunr_ranking(index, query)
            found = search(index, query)
            assert [(h.ref, h.exact, h.title) for h in found] == [h[:3] for h in expected], query
            assert [h.score for h in found] == pytest.approx([h[3] for h in expected], rel=1e-12)


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["fr", "vi", "en"])
def test_browser_finds_the_same_pages_in_the_same_order(
    browser: Any, served: dict[str, str], corpus_site: Path, example_site: Path, lang: str
) -> None:
    for name, site, table in (
        ("corpus", corpus_site, CORPUS_QUERIES),
        ("example", example_site, EXAMPLE_QUERIES),
    ):
        typed = typed_queries(site, lang)
        queries = [query for query, _ in table[lang]] + typed
        in_browser = run_queries(browser, served[name], lang, queries)
        index = search_file(site, lang)
        for query, found in zip(queries, in_browser, strict=True):
            assert found == index.search(query), (name, query)
        for (query, expected), found in zip(table[lang], in_browser, strict=False):
            if expected is None:
                assert found == [], query
            else:
                assert found[0] == f"{lang}/{expected}", (name, query, found[:3])


# Python's round(x, 3) breaks ties to even: these are exact ties (m/16, m odd), values on
# either side of one, and ordinary scores.
ROUNDED = [0.0625, 0.1875, 0.3125, 1.0625, 2.5625, 7.9375, 0.0625 + 1e-17, 0.18749999999999997]
ROUNDED += [0.1875000000000001, 1.2345, 3.14159, 0.0005, 0.0015, 12.3456789, 0.0, 41.9995]


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["fr", "vi", "en"])
def test_browser_expands_the_index_file_as_python_does(
    browser: Any, served: dict[str, str], corpus_site: Path, example_site: Path, lang: str
) -> None:
    """search-core.js's expand() gives the same lunr index as index.py's expand() (which a
    test of test_search.py requires to be lunr.py's own): the same terms, postings and
    field vectors, to the same floats."""
    for name, site in (("corpus", corpus_site), ("example", example_site)):
        (path,) = (site / "assets" / "search").glob(f"{lang}.json")
        expected = expand(json.loads(path.read_bytes())["index"])
        in_browser, rounded = run_expand(browser, served[name], lang, ROUNDED)
        assert in_browser == expected, name
    assert rounded == [round(x, 3) for x in ROUNDED]


ENDINGS = """s es ies ed eed ing ly ness ation ational ity iti y ful ize izer ement ence ance
able ous ive ate al er ll e iveness ousli biliti logi icate ative alize"""


def _english_words() -> list[str]:
    """Every English word of the example content, inflected every way Porter's steps care
    about, and lunr's stop words."""
    found: set[str] = set()
    for path in (REPO / "content" / "en").rglob("*.md"):
        found |= set(re.findall("[a-z]+", path.read_text(encoding="utf-8").lower()))
    found |= set(Pipeline.registered_functions["stopWordFilter"].__closure__[0].cell_contents)
    endings = ["", *ENDINGS.split()]
    extra = "display key day array yes yield syzygy sky cry by say boy agreed hopping filing"
    return sorted({word + end for word in found for end in endings} | set(extra.split()))


TRICKY = [
    "L’été, qu’il pleuve\u202f: jusqu’à «\u00a0demain\u00a0»",
    "aujourd'hui C'est-à-dire (base) [règles] thức? … — co-so",
    NFD("Cơ sở tri thức — diễn đàn ĐÀ NẴNG"),
    "e\u2011mail 10\u00a0% x² ½ İstanbul ΟΔΟΣ ﬁle œuvre Æsir straße Łódź ø",
    "👍bien *wild* card^2 a:b ~tilde +plus -minus",
]


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["fr", "vi", "en"])
def test_normalization_and_pipelines_agree_in_the_browser(
    browser: Any, served: dict[str, str], corpus_site: Path, example_site: Path, lang: str
) -> None:
    """words(), fold() and the language's pipeline (as its index names it) give the same
    output in Python and JavaScript on every line of the example and test content."""
    texts = list(TRICKY)
    for root in (REPO / "content" / lang, corpus_site.parent / "content" / lang):
        for path in sorted(root.rglob("*.md")):
            texts += path.read_text(encoding="utf-8").splitlines()
    if lang == "en":
        texts += _english_words()
    pipeline = search_file(example_site, lang).index.pipeline

    def first(word: str) -> str | None:
        found = pipeline.run_string(word)
        return found[0] if found else None

    expected = [[[w, fold(w), first(w), first(fold(w))] for w in words(t)] for t in texts]
    in_browser = run_words(browser, served["example"], lang, texts)
    assert len(in_browser) == len(expected)
    for text, mine, theirs in zip(texts, expected, in_browser, strict=True):
        assert theirs == mine, text
