"""Querying a built index from Python: the reference for what the browser does.

`search()` in themes/default/static/js/search-core.js is the JavaScript twin of `search()` here;
the parity test requires both to return the same pages in the same order.

A query is planned word by word. Each word gives two index terms through the index's own
search pipeline: the exact one and the folded one ("règles" -> "règl", "regl"). The folded
term is required, in any field (exact fields hold words written without accents, folded
fields the folded forms of those written with them); the exact term is an optional extra, in
the exact fields. The last word also matches as a prefix, for results as one types (the
whole word weighing more). Results
are ranked first by whether every word is in the title (`in_title`), then by how many words
matched exactly (as typed, accents included), then by lunr's score, then by page order: a
title that holds the whole query is what the reader meant more often than a long page that
repeats its words, above all for words that fold to very common ones ("dau", "ban").
"""

from __future__ import annotations

import json
import math
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lunr.index import Index
from lunr.token_set import TokenSet

import kbgen.search.pipeline  # noqa: F401  (registers the pipeline functions lunr.py loads)
from kbgen.search.index import (
    EXACT_FIELDS,
    FOLDED_FIELDS,
    expand,
    search_path,
    snippet_paths,
)
from kbgen.search.normalize import fold, words

ALL_FIELDS = [*EXACT_FIELDS, *FOLDED_FIELDS]
WHOLE_WORD = 4  # boost of a typed word over the words it is a prefix of
TITLE, TITLE_FIELDS = EXACT_FIELDS[0], (EXACT_FIELDS[0], FOLDED_FIELDS[0])


@dataclass(frozen=True)
class Term:
    exact: str
    folded: str
    prefix: bool

    def matches_exactly(self, index_term: str) -> bool:
        """Whether an index term is this word as typed. A word being typed counts as a
        prefix only if it carries accents: "bạ" is on its way to "bạn", but "va" must not
        rank "vai" above "vã"."""
        if self.prefix and self.exact != self.folded:
            return index_term.startswith(self.exact)
        return index_term == self.exact

    def in_title(self, index_term: str, fields: Iterable[str]) -> bool:
        """Whether an index term found in `fields` is this word in a title: as typed if it
        was typed with accents ("bạn" is not "bàn"), else in any accents ("ban" is both)."""
        if self.exact != self.folded:
            return self.matches_exactly(index_term) and TITLE in fields
        found = index_term.startswith(self.folded) if self.prefix else index_term == self.folded
        return found and any(f in TITLE_FIELDS for f in fields)


@dataclass(frozen=True)
class Hit:
    ref: int  # the document's number in the search file
    exact: int  # how many query words matched as typed
    score: float
    title: bool = False  # every query word is in the title (Term.in_title)


def _first(found: list[str]) -> str | None:
    return found[0] if found else None


def plan(index: Index, query: str) -> list[Term]:
    """The terms a query looks for; stop words are left out."""
    typed = words(query)
    terms = []
    for number, word in enumerate(typed):
        exact = _first(index.pipeline.run_string(word))
        folded = _first(index.pipeline.run_string(fold(word)))
        if not exact or not folded:
            continue
        # Only the word being typed is a prefix, and not a single letter (too many matches).
        prefix = number == len(typed) - 1 and len(folded) >= 2
        terms.append(Term(exact, folded, prefix))
    return terms


def _rounded(score: float) -> int:
    # Summing field scores in another order may change the last bits; ties must stay ties.
    return math.floor(score * 1e6 + 0.5)


@dataclass(frozen=True)
class _Prepared:
    """What search() keeps of an index between queries (search-core.js's prepare())."""

    fields: list[tuple[dict[int, list[Any]], bool]]  # each field's vectors by page, exact?
    documents: int


_PREPARED: dict[int, tuple[weakref.ref[Index], _Prepared]] = {}


def _prepare(index: Index) -> _Prepared:
    kept = _PREPARED.get(id(index))
    if kept is not None and kept[0]() is index:
        return kept[1]
    vectors: dict[str, dict[int, list[Any]]] = {name: {} for name in index.fields}
    for field_ref, vector in index.field_vectors.items():
        name, _, ref = field_ref.partition("/")
        vectors[name][int(ref)] = vector.elements
    first = vectors[index.fields[0]]
    found = _Prepared(
        [(vectors[name], name in EXACT_FIELDS) for name in index.fields],
        max(first, default=-1) + 1,
    )
    _PREPARED[id(index)] = (weakref.ref(index), found)
    weakref.finalize(index, _PREPARED.pop, id(index), None)
    return found


def _expansions(index: Index, term: str) -> list[str]:
    """The index terms a clause's term stands for, as lunr expands it: "ba*" every term that
    begins with "ba", else the term itself if the index holds it."""
    found: list[str] = index.token_set.intersect(TokenSet.from_string(term)).to_list()
    return found


def _pages(index: Index, terms: Iterable[str], fields: Iterable[str]) -> set[int]:
    """The pages holding one of `terms` in one of `fields`."""
    found: set[int] = set()
    for term in terms:
        posting = index.inverted_index[term]
        for name in fields:
            found.update(int(ref) for ref in posting[name])
    return found


def _run(index: Index, terms: list[Term]) -> list[Hit]:
    """The pages every word is in, scored as lunr's index.query() scores these clauses (it
    was given them before): for each word, its folded term ("*" while typed) required in any
    field; while typed, the whole word boosted; the exact term in the exact fields. A
    field's query vector weighs each term by the boosts of the clauses that expand to it; a
    page's score is the sum over its fields of the dot product of the field's vector with the
    query vector (in term number order, as lunr's) over the query vector's magnitude.

    Done here because lunr's own way is slow on thousands of pages (above all in lunr.js,
    search-core.js's run(), whose twin this is): it unites the pages of a prefix's
    expansions one by one into new sets, and walks the whole query vector (every expansion)
    for each page's field instead of looking the page's own terms up in it."""
    at = _prepare(index)
    exact_query: dict[int, float] = {}  # the exact fields' query vector, by term number
    folded_query: dict[int, float] = {}  # the folded fields'
    count: dict[int, int] = {}
    exact_in, title_in = [], []

    def weigh(expanded: list[str], boost: float, exact_only: bool) -> None:
        for term in expanded:
            number = index.inverted_index[term]["_index"]
            if not exact_only:
                folded_query[number] = folded_query.get(number, 0) + boost
            exact_query[number] = exact_query.get(number, 0) + boost

    for term in terms:
        star = "*" if term.prefix else ""
        folded = _expansions(index, term.folded + star)
        if not folded:
            return []  # a required word found nowhere: no page
        weigh(folded, 1, False)
        for ref in _pages(index, folded, ALL_FIELDS):
            count[ref] = count.get(ref, 0) + 1
        if term.prefix:  # the whole word weighs more than the longer words it begins
            weigh(_expansions(index, term.folded), WHOLE_WORD, False)
        exact = None if term.exact == term.folded else _expansions(index, term.exact + star)
        if exact is not None:
            weigh(exact, 1, True)
        # where the word is as typed (matches_exactly) in an exact field; where in a title
        # (in_title): the terms the exact clause expands to, else the folded clause's
        as_typed = exact if exact is not None else [w for w in folded if w == term.exact]
        exact_in.append(_pages(index, as_typed, EXACT_FIELDS))
        if exact is not None:
            title_in.append(_pages(index, exact, [TITLE]))
        else:
            title_in.append(_pages(index, folded, TITLE_FIELDS))
    magnitudes = {True: 0.0, False: 0.0}
    for number in sorted(exact_query):  # summed in term number order, as lunr's
        magnitudes[True] += exact_query[number] * exact_query[number]
        magnitudes[False] += folded_query.get(number, 0) * folded_query.get(number, 0)
    magnitudes = {side: math.sqrt(total) for side, total in magnitudes.items()}
    hits = []
    for ref in sorted(ref for ref, n in count.items() if n == len(terms)):
        score = 0.0
        for vectors, is_exact in at.fields:
            elements, query, dot = vectors.get(ref, []), exact_query, 0.0
            if not is_exact:
                query = folded_query
            for e in range(0, len(elements), 2):
                boost = query.get(elements[e])
                if boost:
                    dot += boost * elements[e + 1]
            if dot:
                score += dot / magnitudes[is_exact]
        exact_count = sum(1 for pages in exact_in if ref in pages)
        title = all(ref in pages for pages in title_in)
        hits.append(Hit(ref, exact_count, score, title))
    return hits


def search(index: Index, query: str) -> list[Hit]:
    terms = plan(index, query)
    if not terms:
        return []
    hits = _run(index, terms)
    hits.sort(key=lambda h: (-h.title, -h.exact, -_rounded(h.score), h.ref))
    return hits


@dataclass
class SearchFile:
    """A language's search file as the build wrote it."""

    lang: str
    index: Index
    docs: list[list[str]]  # [url, title, section]

    texts: list[str] = field(default_factory=list)  # each page's text, if loaded (snippets)

    @classmethod
    def load(cls, data: bytes | str) -> SearchFile:
        raw = json.loads(data)
        return cls(raw["lang"], Index.load(expand(raw["index"])), raw["docs"])

    @classmethod
    def read(cls, site: Path, lang: str) -> SearchFile:
        """A built site's search file of `lang`, with its snippet files' texts."""
        found = cls.load((site / search_path(lang)).read_bytes())
        for path in snippet_paths(lang, len(found.docs)):
            found.texts += json.loads((site / path).read_bytes())
        return found

    def search(self, query: str) -> list[str]:
        """The URLs of the pages found, best first."""
        return [self.docs[hit.ref][0] for hit in search(self.index, query)]
