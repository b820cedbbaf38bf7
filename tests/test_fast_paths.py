"""The shortcuts taken for speed give what the plain definitions give, for any input."""

from __future__ import annotations

import posixpath
import unicodedata
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from kbgen import related
from kbgen.search import normalize
from kbgen.search.normalize import trim, words
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
