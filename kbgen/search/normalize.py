"""Text normalization for search, done the same way at build time and in the browser.

`themes/default/static/js/search-core.js` holds the JavaScript twin of every function here;
tests/test_search_parity.py runs both on the same words and requires the same output.
"""

from __future__ import annotations

import functools
import re
import unicodedata

# Every Unicode space and line break becomes a plain space, so that "10 %" typed with a
# no-break space (U+00A0, U+202F in French typography) splits like any other.
_SPACES = re.compile(
    "[\t\n\v\f\r\x1c-\x1f\x85\xa0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]"
)
# Hyphens and dashes separate words (lunr's tokenizer splits on "-" too); "*" would be
# read as a wildcard by lunr's token sets.
_SEPARATORS = re.compile("[-\u2010-\u2015\u2212*]")
# Typographic apostrophes (and look-alikes) become "'".
_APOSTROPHES = re.compile("[\u2018\u2019\u201b\u02bc\u2032\uff07`\u00b4]")
# French elided particles: "l'été" is "l" + "été", "qu'il" is "qu" + "il".
_ELISION = re.compile(r"(l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu)'(.+)")
# Combining marks left by NFD: accents and Vietnamese tone marks.
_MARKS = re.compile("[\u0300-\u036f]")
# Letters that carry no combining mark in NFD and must be mapped by hand.
_LETTERS = {
    "đ": "d",
    "Đ": "D",
    "œ": "oe",
    "Œ": "OE",
    "æ": "ae",
    "Æ": "AE",
    "ø": "o",
    "Ø": "O",
    "ł": "l",
    "Ł": "L",
    "ß": "ss",
}
_LETTER_RE = re.compile("[" + "".join(_LETTERS) + "]")


def _is_word_char(char: str) -> bool:
    # The JavaScript twin uses /[\p{L}\p{N}]/u: letters and numbers.
    return char.isalnum()


def trim(word: str) -> str:
    """The word without punctuation at its edges: "thức?" -> "thức", "(base)" -> "base"."""
    start, end = 0, len(word)
    while start < end and not _is_word_char(word[start]):
        start += 1
    while end > start and not _is_word_char(word[end - 1]):
        end -= 1
    return word[start:end]


# trim() of every space-separated word at once: from its first letter or number to its last.
# [^\W_] is exactly str.isalnum(); after _SPACES, " " is the only space left.
_TRIMMED_WORD = re.compile(r"[^\W_](?:[^ ]*[^\W_])?")


@functools.cache
def _one_pass() -> dict[int, str]:
    """_SPACES, _SEPARATORS and _APOSTROPHES as one str.translate table: their characters
    (all in the Basic Multilingual Plane) never overlap, nor with what they become."""
    plane = "".join(map(chr, range(0x10000)))
    table: dict[int, str] = {}
    for pattern, replacement in ((_SPACES, " "), (_SEPARATORS, " "), (_APOSTROPHES, "'")):
        table.update((ord(char), replacement) for char in pattern.findall(plane))
    return table


# _SPACES and _SEPARATORS as one class ("-" first, where it is no range): both become " ".
_SPLITTERS = re.compile(_SEPARATORS.pattern[:-1] + _SPACES.pattern[1:])


def _separated(text: str) -> str:
    """Spaces and separators as " ", apostrophes as "'". str.translate is fastest on ASCII
    text (it caches its table there) but looks every other character up in the table: two
    regular expressions scan French and Vietnamese several times faster."""
    if text.isascii():
        return text.translate(_one_pass())
    return _APOSTROPHES.sub("'", _SPLITTERS.sub(" ", text))


def words(text: str) -> list[str]:
    """The words of a text as search sees them: NFC, lower case, split on spaces and hyphens,
    edges trimmed, French elisions split off."""
    text = _separated(unicodedata.normalize("NFC", text).lower())
    found = _TRIMMED_WORD.findall(text)
    if "'" not in text:
        return found
    split: list[str] = []
    for word in found:
        elided = _ELISION.fullmatch(word) if "'" in word else None
        if elided:
            rest = trim(elided.group(2))
            split.append(elided.group(1))
            if rest:
                split.append(rest)
        else:
            split.append(word)
    return split


def normalize(text: str) -> str:
    """The text as lunr's tokenizer should receive it: its words, joined by single spaces."""
    return " ".join(words(text))


@functools.lru_cache(maxsize=1 << 16)
def fold(word: str) -> str:
    """The word without accents or tone marks: "cơ sở" -> "co so", "đàn" -> "dan".

    Cached: an index folds every word of every page, and a language has few distinct ones."""
    stripped = _MARKS.sub("", unicodedata.normalize("NFD", word))
    stripped = _LETTER_RE.sub(lambda m: _LETTERS[m.group(0)], stripped)
    return unicodedata.normalize("NFC", stripped)
