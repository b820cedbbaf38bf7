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
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lunr.index import Index
from lunr.query import QueryPresence

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


def search(index: Index, query: str) -> list[Hit]:
    terms = plan(index, query)
    if not terms:
        return []
    q = index.create_query()
    for term in terms:
        star = "*" if term.prefix else ""
        q.clause(
            term=term.folded + star,
            fields=ALL_FIELDS,
            use_pipeline=False,
            presence=QueryPresence.REQUIRED,
        )
        if term.prefix:
            # The whole word weighs more than the longer words it begins.
            q.clause(term=term.folded, fields=ALL_FIELDS, use_pipeline=False, boost=WHOLE_WORD)
        if term.exact != term.folded:
            q.clause(term=term.exact + star, fields=list(EXACT_FIELDS), use_pipeline=False)
    hits = []
    for result in index.query(q):
        metadata: dict[str, dict[str, Any]] = result["match_data"].metadata
        exact = sum(
            1
            for term in terms
            if any(
                term.matches_exactly(found) and any(f in EXACT_FIELDS for f in fields)
                for found, fields in metadata.items()
            )
        )
        title = all(
            any(term.in_title(found, fields) for found, fields in metadata.items())
            for term in terms
        )
        hits.append(Hit(int(result["ref"]), exact, result["score"], title))
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
