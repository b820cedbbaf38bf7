"""A lunr index builder that writes the same serialized index as lunr.py's Builder, faster.

lunr.py runs its pipeline token by token and copies metadata for every token; here each
distinct word goes through the pipeline once and the postings are counted directly. The
arithmetic of the field vectors is lunr.py's, in the same order, so the numbers are equal.
tests/test_search.py builds indexes both ways and requires them to be identical.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, cast

from lunr import __TARGET_JS_VERSION__
from lunr.idf import idf
from lunr.pipeline import Pipeline

K1 = 1.2  # lunr's defaults
B = 0.75
K1_PLUS_1 = K1 + 1
# The metadata of every posting: none is kept, and one shared empty dict serializes as well
# as millions of them (a large language's index has that many postings).
_NO_METADATA: dict[str, object] = {}

# One document's terms per field, in the builder's field order: (term -> count, in order of
# first appearance; the field's length in terms).
Analyzed = list[tuple[dict[str, int], int]]


# lunr.py's expression of a field vector's score, in its order, with what does not change per
# term taken out (length_base): the same floats (lunr.py's final "* 1" is no change at all).
# index.expand() computes the scores of a search file again with these two; search-core.js's
# expand() is their twin.


def length_base(length: int, average: float) -> float:
    """The part of a score that depends on its field's length in the document."""
    return K1 * (1 - B + B * (length / average))


def score(idf_value: float, tf: int, base: float, boost: int) -> float:
    """A term's score in a document's field: `tf` times in it, `base` from length_base."""
    return round(idf_value * (K1_PLUS_1 * tf) / (base + tf) * boost, 3)


class FastBuilder:
    def __init__(self, fields: Sequence[tuple[str, int]], pipeline: Pipeline) -> None:
        self.fields = [name for name, _ in fields]
        self.boosts = dict(fields)
        self.pipeline = pipeline
        self._terms: dict[str, list[str]] = {}  # word -> what the pipeline makes of it
        # term -> its row as a search file holds it (index.py's comment on "terms"): [term,
        # term number, then per field the steps to the documents that hold it], followed by
        # how many postings it has and, per field, the last document added to it. Written as
        # documents are added (in ascending order), so that no posting is looked up again.
        self.rows: dict[str, list[Any]] = {}
        self.frequencies: dict[str, dict[str, int]] = {}  # "field/ref" -> term -> count
        self.lengths: dict[str, int] = {}
        self.document_count = 0

    def _run(self, word: str) -> list[str]:
        found = self._terms.get(word)
        if found is None:
            found = self._terms[word] = self.pipeline.run_string(word)
        return found

    def analyze(self, values: Mapping[str, Mapping[str, int]]) -> Analyzed:
        """One document's terms, field by field: what the pipeline makes of each word
        (`values`: how many times each word, normalized and split, is in each field), counted
        in order of first appearance (which numbers new terms), and the field's length."""
        analyzed: Analyzed = []
        for field in self.fields:
            counts: dict[str, int] = {}
            length = 0
            for word, times in values[field].items():
                for term in self._run(word.lower()):
                    length += times
                    counts[term] = counts.get(term, 0) + times
            analyzed.append((counts, length))
        return analyzed

    def add(self, number: int, analyzed: Analyzed) -> None:
        """One analyzed document (`analyze`), document `number` (0, 1, 2... in order)."""
        self.document_count += 1
        rows, width = self.rows, len(self.fields)
        count_slot = 2 + width
        fields = zip(self.fields, analyzed, strict=True)
        for position, (field, (counts, length)) in enumerate(fields):
            slot, last_slot = 2 + position, count_slot + 1 + position
            for term, tf in counts.items():
                row = rows.get(term)
                if row is None:
                    row = rows[term] = [term, len(rows), *([] for _ in range(width)), 0]
                    row += [-1] * width
                previous = row[last_slot]
                # a step from the last document (from -1: at least 1), negative when the term is
                # there more than once, its count following
                if tf == 1:
                    row[slot].append(number - previous)
                else:
                    row[slot] += (previous - number, tf)
                row[last_slot] = number
                row[count_slot] += 1
            key = f"{field}/{number}"
            self.frequencies[key] = counts
            self.lengths[key] = length

    def short_rows(self) -> Iterator[list[object]]:
        """The terms' rows in term order, as a search file holds them."""
        end = 2 + len(self.fields)
        for term in sorted(self.rows):
            yield self.rows[term][:end]

    def idf_by_count(self) -> dict[int, float]:
        """{postings count: lunr's idf of a term of that many postings}, for every count."""
        found: dict[int, float] = {}
        count_slot = 2 + len(self.fields)
        for row in self.rows.values():
            count = row[count_slot]
            if count not in found:  # lunr.idf counts a posting's documents field by field
                found[count] = idf({"": dict.fromkeys(range(count))}, self.document_count)
        return found

    @property
    def inverted_index(self) -> dict[str, dict[str, object]]:
        """lunr.py's inverted index: term -> {field: {ref: metadata}, "_index": number}."""
        found = {}
        end = 2 + len(self.fields)
        for term, row in self.rows.items():
            posting: dict[str, object] = {}
            for field, steps in zip(self.fields, row[2:end], strict=True):
                docs, ref, position = {}, -1, 0
                while position < len(steps):
                    step = steps[position]
                    position += 1 if step > 0 else 2
                    ref += abs(step)
                    docs[str(ref)] = _NO_METADATA
                posting[field] = docs
            posting["_index"] = row[1]
            found[term] = posting
        return found

    def vectors(self) -> Iterator[list[object]]:
        """The serialized field vectors, one by one: [field/ref, [term number, score, ...]]."""
        totals = dict.fromkeys(self.fields, 0)
        for key, length in self.lengths.items():
            totals[key.partition("/")[0]] += length
        # no documents (a language with nothing to index yet): no vectors, so no averages
        count = self.document_count or 1
        average = {f: totals[f] / count for f in self.fields}
        number = {term: cast(int, row[1]) for term, row in self.rows.items()}
        idf_of = self.idf_by_count()
        count_slot = 2 + len(self.fields)
        idfs = {term: idf_of[row[count_slot]] for term, row in self.rows.items()}
        by_number = number.__getitem__
        for key, counts in self.frequencies.items():
            if not counts:  # an empty field (in every document, maybe: an average of 0)
                yield [key, []]
                continue
            field = key.partition("/")[0]
            boost = self.boosts[field]
            base = length_base(self.lengths[key], average[field])
            flat: list[object] = []  # [term number, score, ...] by term number
            for term in sorted(counts, key=by_number):
                flat.append(number[term])
                flat.append(score(idfs[term], counts[term], base, boost))
            yield [key, flat]

    def inverted_index_sorted(self) -> list[list[object]]:
        inverted = self.inverted_index
        return [[t, inverted[t]] for t in sorted(inverted)]

    def serialize(self, search_pipeline: Sequence[str]) -> dict[str, object]:
        """The index as lunr.py's Index.serialize() gives it."""
        return {
            "version": __TARGET_JS_VERSION__,
            "fields": self.fields,
            "fieldVectors": list(self.vectors()),
            "invertedIndex": self.inverted_index_sorted(),
            "pipeline": list(search_pipeline),
        }
