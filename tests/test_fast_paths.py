"""The shortcuts taken for speed give what the plain definitions give, for any input."""

from __future__ import annotations

import posixpath
import unicodedata
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kbgen import related
from kbgen.config import RelatedOptions
from kbgen.search import normalize
from kbgen.search.normalize import trim, words
from kbgen.site import Body, Page
from kbgen.urls import encode_url, folder_of, links_from, relative_url


def words_word_by_word(text: str) -> list[str]:
    """words() as it is specified: split on spaces, trim each word, split off elisions."""
    text = unicodedata.normalize("NFC", text).lower()
    text = normalize._SPACES.sub(" ", text)
    text = normalize._SEPARATORS.sub(" ", text)
    text = normalize._APOSTROPHES.sub("'", text)
    found = []
    for raw in text.split(" "):
        word = trim(raw)
        elided = normalize._ELISION.fullmatch(word)
        if elided:
            found.append(elided.group(1))
            found.append(trim(elided.group(2)))
        else:
            found.append(word)
    return [word for word in found if word]


tricky_text = st.lists(
    st.sampled_from([*"ab é'’-_*.,()[]đ1²½ⅷ_Œ\u0301\u00a0\u2003\u200b\ufeff\x1c\n\t", "l'", "qu'"])
).map("".join)


@settings(max_examples=3000)
@given(st.one_of(st.text(), tricky_text))
def test_words_splits_as_specified(text: str) -> None:
    assert words(text) == words_word_by_word(text)


def related_words_by_regex(texts: list[str]) -> tuple[str, tuple[int, ...]]:
    """related.words() as it is specified: the words `_WORD` finds, counted in the order
    first written."""
    found = Counter(related._WORD.findall(" ".join(texts).lower()))
    return " ".join(found), tuple(found.values())


@settings(max_examples=1000)  # (lists of texts: each example is several)
@given(st.lists(st.one_of(st.text(), tricky_text, st.sampled_from(["İstanbul", "«", "ǅ"]))))
def test_related_words_are_those_the_regex_finds(texts: list[str]) -> None:
    assert related.words(texts) == related_words_by_regex(texts)


def relative_url_by_relpath(from_url: str, to_url: str) -> str:
    """relative_url() built on posixpath.relpath, as it was before its shortcut."""
    target, _, fragment = to_url.partition("#")
    start = folder_of(from_url).rstrip("/") or "."
    path = posixpath.relpath(target or ".", start) if target else ""
    if target.endswith("/") and path not in (".", ""):
        path += "/"
    if path == ".":
        path = "" if fragment else "./"
    return encode_url(f"{path}#{fragment}" if fragment else path)


segments = st.sampled_from(
    ["fr", "vi", "faq", "articles", "a b", "đ", "a%41", "a:b", "index.html", ".", ".."]
)
site_urls = st.builds(
    lambda parts, slash, fragment: "/".join(parts) + ("/" if slash and parts else "") + fragment,
    st.lists(segments, max_size=4),
    st.booleans(),
    st.sampled_from(["", "#", "#top", "#a b"]),
)


@settings(max_examples=3000)
@given(site_urls.filter(lambda url: not url.startswith("#")), site_urls)
def test_relative_url_equals_relpath(from_url: str, to_url: str) -> None:
    assert relative_url(from_url, to_url) == relative_url_by_relpath(from_url, to_url)


@settings(max_examples=2000)
@given(site_urls.filter(lambda url: not url.startswith("#")), segments, segments, site_urls)
def test_links_from_pages_side_by_side_equal_relpath(
    parent: str, first: str, second: str, to_url: str
) -> None:
    """Pages in folders side by side share their parent's links (made once): each link
    is still the one relpath gives, from either page, the first time and the next."""
    folder = folder_of(parent)
    for name in (first, second, first):
        from_url = f"{folder}{name}/"
        assert links_from(from_url)(to_url) == relative_url_by_relpath(from_url, to_url)


# A language's articles as related.py scores them: texts of few words, so that most are
# shared (and an edit moves the idf of some), in two sections, with a few tags each.
article_words = st.lists(
    st.sampled_from(["refund", "billing", "account", "login", "password", "vote", "ban", "x1"]),
    max_size=12,
).map(" ".join)
article_texts = st.lists(article_words, min_size=2, max_size=24)


def _articles(texts: list[str], tags: list[tuple[str, ...]]) -> list[Page]:
    return [
        Page(
            "article",
            "en",
            f"article:{n:02d}",
            f"en/{n}/",
            f"Article {n % 3}",
            group=f"s{n % 2}",
            tags=tags[n],
            body=Body(text=text),
        )
        for n, text in enumerate(texts)
    ]


@settings(max_examples=300)
@given(
    article_texts,
    st.lists(st.tuples(st.integers(0, 23), article_words), min_size=1, max_size=4),
    st.lists(st.sampled_from([(), ("a",), ("a", "b"), ("c",)]), min_size=24, max_size=24),
    st.integers(0, 40),
)
def test_related_articles_patched_after_text_edits_equal_those_scored_anew(
    texts: list[str], edits: list[tuple[int, str]], tags: list[tuple[str, ...]], threshold: int
) -> None:
    """_rescored, given the last scoring and the articles whose texts changed, gives the
    text vectors and related articles _scored gives from scratch."""
    options = RelatedOptions(threshold=threshold)
    before = _articles(texts, tags)
    memo = related.RelatedMemo()
    related._scored_again("en", before, options, memo)
    edited = list(texts)
    for number, text in edits:
        edited[number % len(texts)] = text
    after = _articles(edited, tags)
    # in page order, as the memo holds them
    before, after = related._in_order(before), related._in_order(after)
    counts = [related._counted(page) for page in after]
    changed = [n for n, page in enumerate(after) if page.text != before[n].text]
    counted_before = [related._counted(before[n]) for n in changed]
    patched = related._rescored(after, options, counts, memo.scored["en"], counted_before, changed)
    assert patched == related._scored(after, options, counts)
    # and a rebuild with the memo gives what one without gives (patched or not)
    assert related._scored_again("en", after, options, memo) == related._scored_again(
        "en", after, options, related.RelatedMemo()
    )


@given(st.text(), st.text(), st.text())
def test_what_a_body_makes_of_its_text_is_of_its_text(text: str, other: str, html: str) -> None:
    """A body's word count and digest, made once where its text is made, are those of its
    text: kept by `but` (which cannot change the text), made again after a replace."""
    import dataclasses
    import hashlib

    body = Body(text=text).with_text_made()
    for made, expected in (
        (body.but(html=html), text),
        (body.but(anchors={"a"}).but(listed_html=html), text),
        (dataclasses.replace(body, text=other), other),
        (dataclasses.replace(body.but(html=html), text=other), other),
    ):
        assert made.words == len(expected.split())
        assert made.text_digest == hashlib.blake2b(expected.encode(), digest_size=16).digest()
    with pytest.raises(ValueError):
        body.but(text=other)
    with pytest.raises(TypeError):
        body.but(htlm=html)
