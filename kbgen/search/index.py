"""One lunr index per language, written as `assets/search/<lang>.json`.

The name stays the same from build to build, so a page does not change when another page's
text does (a rebuild renders only what changed); the browser revalidates the file each time it
loads it (search-worker.js), so it never searches a stale index.

Each indexed page gives one document with two streams per field: the words as written
(normalized) and, in the `*f` fields, only the words whose folded form differs ("règles" ->
"regles"). Folded-only fields keep English indexes small while letting "regles" find "règles";
the exact fields let query.py rank "bạn" above "bàn" for a reader who typed "bạn".
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from lunr import __TARGET_JS_VERSION__
from lunr.builder import Builder

from kbgen.search.builder import Analyzed, FastBuilder, length_base, score
from kbgen.search.normalize import fold, words
from kbgen.search.pipeline import functions_for, make_pipeline
from kbgen.urls import encode_url
from kbgen.workers import Forked

if TYPE_CHECKING:  # only read here: the fresh processes that build indexes import this
    # module, and need none of the model's modules
    from kbgen.site import Page, Site

# Short field names: each one is repeated in every posting of the serialized index.
# title, headings, body text, section, description, tags
EXACT_FIELDS = ("t", "h", "b", "s", "d", "g")
FOLDED_FIELDS = ("tf", "hf", "bf", "sf", "df", "gf")  # the same, folded words only
# a page's own summary words (description, tags) weigh between its title and its body
BOOSTS = {"t": 10, "h": 4, "b": 1, "s": 2, "d": 3, "g": 5}
FORMAT = 4  # bump when the file layout changes (it is part of each file's digest)
# Pages' plain text, for snippets, is not in the index file but in files of this many
# documents each (`assets/search/<lang>/<n>.json`), fetched for the results shown only.
SNIPPETS_PER_FILE = 10

Words = TypeVar("Words", list[str], Counter[str])  # a field's words: in order, or counted

# Under this many documents in all, worker processes cost more than they save.
PARALLEL_FROM = 400


@dataclass(frozen=True)
class SearchDoc:  # a field added here is digested in analysis_key too
    url: str  # site-relative
    title: str
    section: str
    headings: str
    text: str
    description: str = ""
    tags: str = ""  # the page's tags, one a line
    # of `text`, as its body was made with it (`documents`); b"", made when asked, in a
    # copy made by dataclasses.replace (which may have changed the text)
    text_digest: bytes = field(default=b"", init=False, compare=False)


def indexed_pages(site: Site, lang: str, include_replies: bool) -> list[Page]:
    """Articles, FAQ entries, the rules page and, if asked, replies; not untranslated
    fallbacks, whose text is in another language than the index's pipeline."""
    kinds = {"article", "faq", "rules"} | ({"reply"} if include_replies else set())
    return [p for p in site.in_language(lang) if p.kind in kinds and not p.is_fallback]


def section_titles(site: Site, lang: str) -> dict[str, str]:
    """{page URL: the title of the section a result names}: an article's section, an FAQ
    entry's group (or the FAQ itself), the replies page for a reply."""
    found = {}
    for page in site.in_language(lang, "article"):
        section = site.section_of(page)
        found[page.url] = section.title if section else ""
    faq = site.page(lang, "faq_index")
    for group in site.faq_groups.get(lang, []):
        for entry in group.entries:
            found[entry.url] = group.title if group.key is not None or faq is None else faq.title
    replies = site.page(lang, "replies")
    for reply in site.in_language(lang, "reply"):
        found[reply.url] = replies.title if replies else ""
    return found


def documents(site: Site, lang: str, include_replies: bool) -> list[SearchDoc]:
    sections = section_titles(site, lang)
    found = []
    for page in indexed_pages(site, lang, include_replies):
        doc = SearchDoc(
            page.url,
            page.title,
            sections.get(page.url, ""),
            " ".join(h.text for h in page.toc),
            page.text,
            page.description,
            "\n".join(page.tags),
        )
        object.__setattr__(doc, "text_digest", page.body.text_digest)  # (frozen)
        found.append(doc)
    return found


def _fields(text: str) -> tuple[list[str], list[str]]:
    exact = words(text)
    folded = [f for f, w in ((fold(w), w) for w in exact) if f != w]
    return exact, folded


def _record(doc: SearchDoc, split: Callable[[str], tuple[Words, Words]]) -> dict[str, Words]:
    """A document's words per field, exact and folded, as `split` gives them: in order
    (_fields, what lunr.py's Builder is given) or counted (_counted_fields, for ours)."""
    record = {}
    for exact, folded, value in zip(
        EXACT_FIELDS,
        FOLDED_FIELDS,
        (doc.title, doc.headings, doc.text, doc.section, doc.description, doc.tags),
        strict=True,
    ):
        record[exact], record[folded] = split(value)
    return record


def _counted_fields(text: str) -> tuple[Counter[str], Counter[str]]:
    """_fields() counted: each distinct word once, in order of first appearance (the order
    in which the index numbers new terms), folded once per distinct word."""
    exact = Counter(words(text))
    folded: Counter[str] = Counter()
    for word, times in exact.items():
        folded_word = fold(word)
        if folded_word != word:
            folded[folded_word] += times
    return exact, folded


def _field_boosts() -> list[tuple[str, int]]:
    found = []
    for exact, folded in zip(EXACT_FIELDS, FOLDED_FIELDS, strict=True):
        found += [(exact, BOOSTS[exact]), (folded, BOOSTS[exact])]
    return found


def analysis_key(doc: SearchDoc) -> bytes:
    """What a document's analyzed words depend on: its fields, but its URL (every field but
    the URL: documents_digest adds it). The fields' lengths, then the fields (repr() would
    escape every text, in a copy), then the text's digest (the largest field, digested once
    where its body was made)."""
    # (as site.Body.text_digest: this module's processes do not import the model)
    text = doc.text_digest or hashlib.blake2b(doc.text.encode(), digest_size=16).digest()
    fields = (doc.title, doc.section, doc.headings, doc.description, doc.tags)
    digest = hashlib.blake2b(repr([len(f) for f in fields]).encode(), digest_size=16)
    digest.update("".join(fields).encode())
    digest.update(text)
    return digest.digest()


@dataclass
class WordsMemo:
    """Documents' analyzed words (FastBuilder.analyze) by `analysis_key`: those the last
    build of a language's index made, and those this one used. Splitting, folding and
    stemming are most of an index's time; a rebuild after one edit does it for one document."""

    known: dict[bytes, Analyzed] = field(default_factory=dict)
    used: dict[bytes, Analyzed] = field(default_factory=dict)


def _filled_builder(
    lang: str, docs: Iterable[SearchDoc], memo: WordsMemo | None = None
) -> tuple[FastBuilder, list[str]]:
    """The builder holding one language's documents, and its search pipeline's names."""
    pipeline = make_pipeline(lang)
    builder = FastBuilder(_field_boosts(), pipeline)
    for number, doc in enumerate(docs):
        if memo is None:
            analyzed = builder.analyze(_record(doc, _counted_fields))
        else:
            key = analysis_key(doc)
            found = memo.known.get(key) or memo.used.get(key)
            analyzed = found or builder.analyze(_record(doc, _counted_fields))
            memo.used[key] = analyzed
        builder.add(number, analyzed)
    return builder, list(pipeline.serialize())


def build_index(lang: str, docs: Iterable[SearchDoc]) -> dict[str, object]:
    """The serialized lunr index (lunr.js 2.3.9 format) of one language's documents."""
    builder, search_pipeline = _filled_builder(lang, docs)
    return builder.serialize(search_pipeline)


def build_index_with_lunr_py(lang: str, docs: Iterable[SearchDoc]) -> dict[str, object]:
    """The same index built by lunr.py's own Builder: the reference build_index must equal."""
    builder = Builder()
    builder.pipeline.add(*functions_for(lang))
    builder.search_pipeline.add(*functions_for(lang))
    builder.ref("id")
    for name, boost in _field_boosts():
        builder.field(name, boost=boost)
    for number, doc in enumerate(docs):
        record = _record(doc, _fields)
        builder.add({"id": str(number), **{k: " ".join(v) for k, v in record.items()}})
    serialized: dict[str, object] = builder.build().serialize()
    return serialized


_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))

# The index in the file: lunr's serialized index without its field vectors, which expand()
# (and search-core.js's twin) computes again, to the same floats, before lunr loads it. The
# vectors were four fifths of the file (each a term number and a score for every word of
# every field of every page); what they are computed from is in the postings, a few bytes
# each. "terms" is lunr's inverted index, each [term, term number, then per field the
# documents that hold it: the steps from one document number to the next (from -1, so each
# at least 1), a step written negative when the term is more than once in that field, the
# count following it]. "documents": how many; "boosts": the fields' boosts; "idf": each
# term's inverse document frequency by how many postings it has (lunr.idf's input), written
# here so that the browser need not compute a logarithm the way Python does.


def _idf_table(builder: FastBuilder) -> dict[str, float]:
    """{postings count: lunr's idf of a term of that many postings}, by count."""
    found = builder.idf_by_count()
    return {str(count): found[count] for count in sorted(found)}


def shorten(lang: str, docs: Iterable[SearchDoc]) -> dict[str, object]:
    """The index of one language's documents as the file holds it, whole (search_file writes
    the same in pieces)."""
    builder, search_pipeline = _filled_builder(lang, docs)
    return {
        "version": __TARGET_JS_VERSION__,
        "fields": builder.fields,
        "boosts": [builder.boosts[f] for f in builder.fields],
        "documents": builder.document_count,
        "idf": _idf_table(builder),
        "terms": list(builder.short_rows()),
        "pipeline": search_pipeline,
    }


def expand(short: dict[str, Any]) -> dict[str, object]:
    """The serialized lunr index a file's index (`shorten`) stands for: lunr.py's own."""
    fields, boosts, idf_of = short["fields"], short["boosts"], short["idf"]
    width, count = len(fields), short["documents"]
    # per field vector ("field/ref", document by document, field by field): its length and
    # its [term number, count] pairs
    lengths = [0] * (count * width)
    found: list[list[tuple[int, int]]] = [[] for _ in lengths]
    by_number: list[tuple[float, list[list[tuple[int, int]]]]] = [(0.0, [])] * len(short["terms"])
    inverted = []
    for row in short["terms"]:
        number, posting, postings = row[1], {}, []
        for field_number, (name, items) in enumerate(zip(fields, row[2:], strict=True)):
            refs: dict[str, object] = {}
            pairs, ref, position = [], -1, 0
            while position < len(items):
                step, tf = items[position], 1
                if step < 0:
                    step, tf = -step, items[position + 1]
                    position += 1
                position += 1
                ref += step
                refs[str(ref)] = {}
                pairs.append((ref * width + field_number, tf))
                lengths[ref * width + field_number] += tf
            posting[name] = refs
            postings.append(pairs)
        posting["_index"] = number  # last, as lunr writes it
        inverted.append([row[0], posting])
        by_number[number] = (idf_of[str(sum(map(len, postings)))], postings)
    totals = [sum(lengths[f::width]) for f in range(width)]
    average = [total / (count or 1) for total in totals]
    for number, (_, postings) in enumerate(by_number):  # each vector by term number
        for pairs in postings:
            for slot, tf in pairs:
                found[slot].append((number, tf))
    vectors = []
    for slot, pairs in enumerate(found):
        field_number = slot % width
        base = length_base(lengths[slot], average[field_number]) if pairs else 0.0
        flat: list[object] = []
        for number, tf in pairs:
            flat += [number, score(by_number[number][0], tf, base, boosts[field_number])]
        vectors.append([f"{fields[field_number]}/{slot // width}", flat])
    return {
        "version": short["version"],
        "fields": fields,
        "fieldVectors": vectors,
        "invertedIndex": inverted,
        "pipeline": short["pipeline"],
    }


class WordsStore(Protocol):
    """Where a language's analyzed words are kept between builds (the build cache's
    `cache.WordsFile`), read and written by the process that builds the index."""

    def load(self) -> dict[bytes, Analyzed]: ...

    def save(self, entries: dict[bytes, Analyzed]) -> None: ...


def search_file(lang: str, docs: list[SearchDoc], words: WordsStore | None = None) -> bytes:
    """The file the browser loads: the index and, per document, what a result shows.

    It is the JSON of {"format", "lang", "index": shorten(builder), "docs", "snippets"},
    "docs" holding each document's [url, title, section] and "snippets" how many documents
    each snippet file holds (snippet_files: the texts are not here). Written piece by
    piece: the postings of a large language, as Python lists all at once, would be
    hundreds of megabytes (tests/test_search.py checks the bytes against json.dumps).
    `words`: the build cache's file of this language's analyzed words (WordsMemo), read
    and written again here, in the process that builds the index."""
    memo = WordsMemo(words.load()) if words is not None else None
    builder, search_pipeline = _filled_builder(lang, docs, memo)
    if words is not None and memo is not None:
        words.save(memo.used)
    encode = _JSON.encode
    boosts = [builder.boosts[f] for f in builder.fields]
    parts = [
        f'{{"format":{encode(FORMAT)},"lang":{encode(lang)},"index":{{',
        f'"version":{encode(__TARGET_JS_VERSION__)},"fields":{encode(builder.fields)},',
        f'"boosts":{encode(boosts)},"documents":{encode(builder.document_count)},',
        f'"idf":{encode(_idf_table(builder))},"terms":[',
        ",".join(map(encode, builder.short_rows())),
        "],",
        f'"pipeline":{encode(search_pipeline)}}},',
        # URLs as written in a page (percent-encoded): the search script makes links of them
        f'"docs":{encode([[encode_url(d.url), d.title, d.section] for d in docs])},',
        f'"snippets":{encode(SNIPPETS_PER_FILE)}}}',
    ]
    return "".join(parts).encode("utf-8")


def search_path(lang: str) -> str:
    return f"assets/search/{lang}.json"


def snippet_path(lang: str, number: int) -> str:
    """The file of snippet texts `number` (documents number * SNIPPETS_PER_FILE on); the
    worker finds it next to the index (search-worker.js)."""
    return f"assets/search/{lang}/{number}.json"


def snippet_paths(lang: str, count: int) -> list[str]:
    """The snippet files of a language of `count` documents."""
    return [snippet_path(lang, n) for n in range(-(-count // SNIPPETS_PER_FILE))]


def snippet_file(docs: list[SearchDoc], number: int) -> bytes:
    """The JSON list of the plain texts of snippet file `number`'s documents."""
    start = number * SNIPPETS_PER_FILE
    return _JSON.encode([d.text for d in docs[start : start + SNIPPETS_PER_FILE]]).encode()


def snippet_files(lang: str, docs: list[SearchDoc]) -> list[tuple[str, bytes]]:
    """(path, data) of each snippet file of a language (cheap: no analysis)."""
    return [(path, snippet_file(docs, n)) for n, path in enumerate(snippet_paths(lang, len(docs)))]


def documents_digest(lang: str, docs: list[SearchDoc]) -> str:
    """What a language's search file is made from: equal digests, equal files. Fed document
    by document: one string of a large language's whole text would cost its size again."""
    digest = hashlib.blake2b(repr((FORMAT, lang, len(docs))).encode(), digest_size=16)
    for doc in docs:
        digest.update(repr(doc.url).encode())
        digest.update(analysis_key(doc))  # the rest of it
    return digest.hexdigest()


@dataclass(frozen=True)
class SearchFile:
    lang: str
    path: str  # in the output
    digest: str  # documents_digest of what it holds
    data: bytes | None  # None: unchanged since the build that made `digest` (not built again)
    snippets: list[str]  # the paths of its snippet files (snippet_paths)
    # what it indexes, for a file to build (search_file); empty for an unchanged one
    docs: list[SearchDoc] = field(default_factory=list, repr=False, compare=False)


def search_work(
    site: Site,
    include_replies: bool,
    previous: dict[str, str] | None = None,
    path: Callable[[str], str] = search_path,
) -> tuple[list[SearchFile], list[SearchFile]]:
    """(files unchanged since the build whose digests are `previous`, with data None;
    files to build, also with data None, for `make_search_file`). `path`: where a
    language's search file (or, for Pagefind, its bundle's folder) is written."""
    previous = previous or {}
    unchanged: list[SearchFile] = []
    to_build: list[SearchFile] = []
    for lang in site.config.languages:
        docs = documents(site, lang, include_replies)
        digest = documents_digest(lang, docs)
        snippets = snippet_paths(lang, len(docs))
        if previous.get(lang) == digest:
            unchanged.append(SearchFile(lang, path(lang), digest, None, snippets))
        else:
            to_build.append(SearchFile(lang, path(lang), digest, None, snippets, docs))
    return unchanged, to_build


def make_search_file(site: Site, include_replies: bool, lang: str) -> bytes:
    return search_file(lang, documents(site, lang, include_replies))


def make_snippet_file(site: Site, include_replies: bool, lang: str, number: int) -> bytes | None:
    """Snippet file `number` of a language; None if it has no such file."""
    docs = documents(site, lang, include_replies)
    if not 0 <= number < len(snippet_paths(lang, len(docs))):
        return None
    return snippet_file(docs, number)


def build_search_files(
    site: Site, include_replies: bool, previous: dict[str, str] | None = None
) -> list[SearchFile]:
    """Each language's search file, except those whose documents have the digest
    `previous[lang]` (their data is None). Languages are built in forked processes when
    the site is large enough for that to pay (the build runs them beside the pages instead:
    render.py)."""
    unchanged, to_build = search_work(site, include_replies, previous)
    workers = min(len(to_build), os.cpu_count() or 1)
    langs, docs = [f.lang for f in to_build], [f.docs for f in to_build]
    if workers > 1 and sum(map(len, docs)) >= PARALLEL_FROM:
        tasks = [Forked(search_file, lang, found) for lang, found in zip(langs, docs, strict=True)]
        contents = [task.result() for task in tasks]
    else:
        contents = list(map(search_file, langs, docs))
    built = [replace(f, data=data, docs=[]) for f, data in zip(to_build, contents, strict=True)]
    order = site.config.languages
    return sorted(unchanged + built, key=lambda f: order.index(f.lang))
