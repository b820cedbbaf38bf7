"""Each article's related articles, chosen at build time after the model (as Hugo's related
content): those its front matter names first (`chosen_related`, pages.py), then at most
`related.count` articles of its language that score highest, at least `related.threshold`:

    score = weights.text × text + weights.tags × tags + weights.section × section

- text: the cosine of the two articles' TF-IDF vectors ((1 + ln tf) × ln(N / df)) over the
  words of their title (twice), description and body, each vector cut to its TOP_TERMS
  heaviest words, stemmed by the language's search pipeline (search/; stop words left out).
  A word only one article has, or every article, weighs nothing;
- tags: the cosine of their sets of tags (shared tags over the root of the product of their
  numbers);
- section: 1 for two articles of the same section.

Scores are summed over inverted lists (a term's TOP_DOCS heaviest holders, a tag's TAG_DOCS
holders with the fewest tags), so a build costs about articles × (TOP_TERMS × TOP_DOCS +
tags × TAG_DOCS) steps, not articles²; an article outside those lists scores only by what
it shares through the others. Ties go to page order (weight, then title). Translations are
never related to each other: each language's articles are scored among themselves; a page
shown untranslated lists its original's related articles that its language has translated.

A `RelatedMemo` (in pipeline.State: saved with the parsed bodies in the build cache, kept
in memory by serve) spares a rebuild both halves of the work: each article's counted words,
by a digest of the title, description and text they are counted from, and each language's
last scoring (`Scoring`: its text vectors and results, by a digest of everything they are
scored from). A rebuild after one article's text changed counts that article's words alone
and patches its language's scoring (_rescored): the vectors of the articles holding a word
whose number of articles moved, and the scores of those whose vector or terms changed.
"""

from __future__ import annotations

import functools
import hashlib
import heapq
import math
import re
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from itertools import repeat
from operator import itemgetter, mul
from typing import cast

from lunr.pipeline import Pipeline

from kbgen.config import RelatedOptions
from kbgen.search.pipeline import make_pipeline
from kbgen.site import Page, Site
from kbgen.urls import tag_slug

TOP_TERMS = 12  # the terms of an article's text vector
TOP_DOCS = 15  # the articles a term's posting list keeps (those it weighs most in)
TAG_DOCS = 30  # the articles a tag's posting list keeps (those with the fewest tags first)
_WORD = re.compile(r"[^\W_]+")  # letters and digits: words as search splits them, roughly
# ASCII letters and digits kept, other ASCII bytes made spaces; those of other characters
# (0x80 and up in UTF-8) kept, for the pieces holding them to be looked at whole
_ASCII_WORDS = bytes(b if b >= 0x80 or chr(b).isalnum() else 0x20 for b in range(256))
_NOT_A_WORD = re.compile(r"[^\w ]")  # in those pieces (or between them), once split

# An article's words, counted: (its distinct words joined by spaces, in the order first
# written; their counts), as compact to keep and to load as a Counter is not.
Counted = tuple[str, tuple[int, ...]]


@dataclass
class RelatedMemo:
    """What the last scoring of related articles made, for the next to reuse (module doc)."""

    # language -> {digest of an article's title, description and text: its words, counted}
    words: dict[str, dict[bytes, Counted]] = field(default_factory=dict)
    # language -> its last scoring
    scored: dict[str, Scoring] = field(default_factory=dict)


@functools.lru_cache(maxsize=4)
def _pipeline(lang: str) -> Pipeline:
    return make_pipeline(lang)


def words(texts: Iterable[str]) -> Counted:
    """The words of some texts (letters and digits, lower case), counted: those `_WORD`
    finds, in the order first written. Split at ASCII bytes by a table, not by the regular
    expression, in a fraction of its time; a piece holding other characters than letters
    and digits (’, «, a no-break space…) split again by the expression."""
    pieces = Counter(" ".join(texts).lower().encode().translate(_ASCII_WORDS).split())
    written = b" ".join(pieces).decode()
    if not _NOT_A_WORD.search(written):
        return written, tuple(pieces.values())
    found: Counter[str] = Counter()
    for piece, times in zip(written.split(" "), pieces.values(), strict=True):
        if _NOT_A_WORD.search(piece):
            for word in _WORD.findall(piece):
                found[word] += times
        else:
            found[piece] += times
    return " ".join(found), tuple(found.values())


def _counted(page: Page) -> Counted:
    return words((page.title, page.title, page.description, page.text))


def _text_digest(page: Page) -> bytes:
    """A digest of what an article's words are counted from: its title, description and
    text (by the digest its body was made with)."""
    digest = hashlib.blake2b(digest_size=16)
    for part in (page.title, page.description):
        data = part.encode()
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    digest.update(page.body.text_digest)
    return digest.digest()


class _TextWeights:
    """What an article's text vector is made with: each word's idf among its language's
    articles ((1 + ln tf) × ln(N / df)), the tf table, and the stems found so far."""

    def __init__(self, lang: str, split: list[tuple[list[str], tuple[int, ...]]]) -> None:
        df: Counter[str] = Counter()
        for distinct, _ in split:
            df.update(distinct)
        total = len(split)
        # a word of one article alone makes no two alike; one of every article, neither
        self.idf = {word: math.log(total / n) for word, n in df.items() if 1 < n < total}
        most = max((max(times, default=0) for _, times in split), default=0)
        self.tf = [0.0, *(1 + math.log(n) for n in range(1, most + 1))]
        self.pipeline = _pipeline(lang)
        self.known: dict[str, str | None] = {}

    def vector(self, distinct: list[str], counted: tuple[int, ...]) -> dict[str, float]:
        """An article's TOP_TERMS heaviest words as the language's search terms (stemmed;
        stop words left out, their weights added up), a unit vector. Only the heaviest
        words are stemmed: the rest would weigh nothing."""
        idf, known = self.idf, self.known
        # each word's weight (0 for those of no idf) made by map, not by a loop in Python
        weights = list(
            map(mul, map(self.tf.__getitem__, counted), map(idf.get, distinct, repeat(0.0)))
        )
        # the heaviest; of equal weights, the first written (sorted is stable)
        heaviest = sorted(range(len(weights)), key=weights.__getitem__, reverse=True)
        vector: dict[str, float] = {}
        for number in heaviest[: 2 * TOP_TERMS]:
            weight = weights[number]
            if not weight:
                break  # (and nor do the rest)
            word = distinct[number]
            term = known.get(word, "")
            if term == "":
                found = self.pipeline.run_string(word)
                term = known[word] = str(found[0]) if found else None
            if term is not None and (len(vector) < TOP_TERMS or term in vector):
                vector[term] = vector.get(term, 0.0) + weight
        norm = math.sqrt(sum(w * w for w in vector.values())) or 1.0
        return {term: w / norm for term, w in vector.items()}


def _split(counts: list[Counted]) -> list[tuple[list[str], tuple[int, ...]]]:
    return [(written.split(" ") if written else [], times) for written, times in counts]


def _text_vectors(lang: str, counts: list[Counted]) -> list[dict[str, float]]:
    """Each article's text vector (_TextWeights.vector), `counts` its words."""
    split = _split(counts)
    weights = _TextWeights(lang, split)
    return [weights.vector(distinct, counted) for distinct, counted in split]


def _postings(vectors: list[dict[str, float]], keep: int) -> dict[str, list[tuple[int, float]]]:
    """term -> the `keep` articles it weighs most in (of equal weights, the first), with
    its weight there."""
    found: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for number, vector in enumerate(vectors):
        for term, weight in vector.items():
            found[term].append((number, weight))
    for term, holders in found.items():
        if len(holders) > keep:
            found[term] = heapq.nlargest(keep, holders, key=itemgetter(1))
    return found


class _Scorer:
    """Scores a language's articles (in page order, _in_order) against each other, given
    their text vectors."""

    def __init__(
        self,
        articles: list[Page],
        options: RelatedOptions,
        text_vectors: list[dict[str, float]],
    ) -> None:
        self.articles, self.options, self.text_vectors = articles, options, text_vectors
        self.text_postings = _postings(text_vectors, TOP_DOCS)
        tag_vectors = []
        for page in articles:
            slugs = {tag_slug(t) for t in page.tags} if options.weights.tags else set()
            tag_vectors.append(dict.fromkeys(sorted(slugs), 1 / math.sqrt(len(slugs) or 1)))
        self.tag_vectors = tag_vectors
        self.tag_postings = _postings(tag_vectors, TAG_DOCS)
        self.groups = [p.group for p in articles]

    def best(self, number: int) -> list[str]:
        """The keys of the article `number`'s highest-scoring others, best first, leaving
        out those it chose (at most `count`)."""
        weights, groups = self.options.weights, self.groups
        threshold, bonus = self.options.threshold, weights.section
        scores: dict[int, float] = {}
        score = scores.get
        for postings, weight, vector in (
            (self.text_postings, weights.text, self.text_vectors[number]),
            (self.tag_postings, weights.tags, self.tag_vectors[number]),
        ):
            for term, mine in vector.items():
                ours = weight * mine  # (weight * mine) * theirs, as written before
                for other, theirs in postings[term]:
                    scores[other] = score(other, 0.0) + ours * theirs
        scores.pop(number, None)
        group = groups[number]
        ranked = [
            (-total, other)
            for other, summed in scores.items()
            if (total := summed + bonus if groups[other] == group else summed) >= threshold
        ]
        page, articles = self.articles[number], self.articles
        chosen = set(page.chosen_related)
        want = self.options.count + len(chosen)
        keys = [articles[other].key for _, other in heapq.nsmallest(want, ranked)]
        return [key for key in keys if key not in chosen][: self.options.count]


@dataclass
class Scoring:
    """A language's last scoring: reused whole while nothing it is made of changed
    (`digest`); patched (_rescored) when only texts did, the rest (`frame`: the articles,
    their order, sections, tags and choices, the options) as it was."""

    digest: bytes
    frame: bytes
    texts: list[bytes]  # each article's _text_digest, in page order
    vectors: list[dict[str, float]]  # each article's text vector
    result: dict[str, list[str]]  # article key -> its scored related keys, in page order


def _scored(
    articles: list[Page], options: RelatedOptions, counts: list[Counted]
) -> tuple[list[dict[str, float]], dict[str, list[str]]]:
    """The text vectors of `articles` (in page order, _in_order; `counts` their words) and
    {article key: the keys of its highest-scoring others, best first}."""
    vectors = _text_vectors(articles[0].lang, counts)
    scorer = _Scorer(articles, options, vectors)
    return vectors, {page.key: scorer.best(n) for n, page in enumerate(articles)}


def _rescored(
    articles: list[Page],
    options: RelatedOptions,
    counts: list[Counted],
    before: Scoring,
    counted_before: list[Counted],
    changed: list[int],
) -> tuple[list[dict[str, float]], dict[str, list[str]]]:
    """_scored's result, from the last scoring `before` of the same articles, of which
    those numbered `changed` have other words now (`counted_before` then): only the text
    vectors those words weigh in are made again, and only the articles those vectors (or
    the postings of their terms) changed for scored again. The rest equals, number for
    number, what _scored would make: the same functions of the same values."""
    split = _split(counts)
    # the words whose number of articles changed: the only ones whose idf did
    moved: Counter[str] = Counter()
    for number, (written, _) in zip(changed, counted_before, strict=True):
        moved.update(split[number][0])
        moved.subtract(written.split(" ") if written else [])
    shifted = {word for word, n in moved.items() if n}
    weights = _TextWeights(articles[0].lang, split)
    vectors = list(before.vectors)
    edited = set(changed)
    again = set()  # the articles whose vectors changed
    for number, (distinct, counted) in enumerate(split):
        if number in edited or not shifted.isdisjoint(distinct):
            vector = weights.vector(distinct, counted)
            if vector != vectors[number]:
                vectors[number] = vector
                again.add(number)
    # a term's postings can change only if a vector holding it (before or now) did
    terms = {term for n in again for term in (*before.vectors[n], *vectors[n])}
    scorer = _Scorer(articles, options, vectors)
    result = dict(before.result)
    for number, page in enumerate(articles):
        if number in again or not terms.isdisjoint(vectors[number]):
            result[page.key] = scorer.best(number)
    return vectors, result


def _in_order(articles: list[Page]) -> list[Page]:
    """In page order: ties (and equal weights in postings) go to the first."""
    return sorted(articles, key=lambda p: (p.sort_key, p.key))


def _scored_again(
    lang: str, articles: list[Page], options: RelatedOptions, memo: RelatedMemo
) -> dict[str, list[str]]:
    """_scored's result for a language's articles: the memo's if nothing it is made of
    changed; patched (_rescored) if only texts did; else scored anew; with the words of
    unchanged articles taken from the memo (which is left holding this language's)."""
    articles = _in_order(articles)
    texts = [_text_digest(p) for p in articles]
    made_of = [(p.key, p.sort_key, p.group, p.tags, p.chosen_related) for p in articles]
    framing = hashlib.blake2b(repr((lang, options, made_of)).encode(), digest_size=16)
    frame, inputs = framing.digest(), framing.copy()
    for text in texts:
        inputs.update(text)
    digest = inputs.digest()
    kept = memo.scored.get(lang)
    if kept is not None and kept.digest == digest:
        return kept.result
    known = memo.words.get(lang, {})
    counts: dict[bytes, Counted] = {}
    if options.weights.text:
        for page, text in zip(articles, texts, strict=True):
            counts[text] = known.get(text) or counts.get(text) or _counted(page)
    memo.words[lang] = counts
    no_words: Counted = ("", ())
    counted = [counts.get(text, no_words) for text in texts]
    # only texts changed (the rest as it was), and few: patched, else scored anew
    same = kept is not None and kept.frame == frame and len(kept.texts) == len(texts)
    changed = [n for n, t in enumerate(kept.texts) if t != texts[n]] if kept and same else []
    before = [known.get(kept.texts[n]) for n in changed] if kept else []
    if kept and same and len(changed) * 4 <= len(texts) and None not in before:
        counted_before = cast(list[Counted], before)
        vectors, scored = _rescored(articles, options, counted, kept, counted_before, changed)
    else:
        vectors, scored = _scored(articles, options, counted)
    memo.scored[lang] = Scoring(digest, frame, texts, vectors, scored)
    return scored


def add_related(
    site: Site, languages: Collection[str] | None = None, memo: RelatedMemo | None = None
) -> None:
    """Set every article's `related` keys: its chosen ones, then the best scored. With
    `languages`, only those languages' articles are scored again (the others' texts are
    unchanged: serve's body patch); pages shown untranslated follow their originals. With
    a `memo` (from the last build of the same site), what did not change is not made
    again."""
    options = site.config.related
    memo = RelatedMemo() if memo is None else memo
    fallbacks: list[Page] = []
    for lang in site.config.languages:
        articles: list[Page] = []
        for page in site.in_language(lang, "article"):
            (fallbacks if page.is_fallback else articles).append(page)
        if languages is not None and lang not in languages:
            continue
        scored = _scored_again(lang, articles, options, memo) if options.count and articles else {}
        for page in articles:
            page.related = (*page.chosen_related, *scored.get(page.key, ()))
    for page in fallbacks:  # its original's, those this language has
        original = site.page(str(page.fallback_of), page.key)
        page.related = tuple(
            key
            for key in (original.related if original is not None else ())
            if (found := site.page(page.lang, key)) is not None and not found.is_fallback
        )
