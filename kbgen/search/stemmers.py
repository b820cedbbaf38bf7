"""Stemmers with an identical JavaScript twin, so the browser reduces words as the build did.

English: the Porter algorithm exactly as lunr.js 2.3.9's `lunr.stemmer` runs it (lunr.py's own
stemmer differs for words ending in "y": "display" -> "displai"). In the browser the stemmer is
lunr.js's own. French: a small "light" stemmer (plurals, feminine and infinitive endings), written
in `search-core.js` too. Both only touch words of plain letters, so numbers, codes and words
of other scripts pass unchanged and string lengths mean the same in Python and JavaScript.
"""

from __future__ import annotations

import re

_ASCII_WORD = re.compile("[a-z]+")

# Porter's measure conditions, over a = vowel, y = vowel only after a consonant.
_C = "[^aeiou][^aeiouy]*"  # a consonant sequence
_V = "[aeiouy][aeiou]*"  # a vowel sequence
_M_GT0 = re.compile(f"^({_C})?{_V}{_C}")  # measure > 0
_M_EQ1 = re.compile(f"^({_C})?{_V}{_C}({_V})?$")  # measure = 1
_M_GT1 = re.compile(f"^({_C})?{_V}{_C}{_V}{_C}")  # measure > 1
_HAS_VOWEL = re.compile(f"^({_C})?[aeiouy]")
_CVC = re.compile(f"^{_C}[aeiouy][^aeiouwxy]$")  # consonant-vowel-consonant, not w, x, y

_STEP2 = {
    "ational": "ate",
    "tional": "tion",
    "enci": "ence",
    "anci": "ance",
    "izer": "ize",
    "bli": "ble",
    "alli": "al",
    "entli": "ent",
    "eli": "e",
    "ousli": "ous",
    "ization": "ize",
    "ation": "ate",
    "ator": "ate",
    "alism": "al",
    "iveness": "ive",
    "fulness": "ful",
    "ousness": "ous",
    "aliti": "al",
    "iviti": "ive",
    "biliti": "ble",
    "logi": "log",
}
_STEP3 = {
    "icate": "ic",
    "ative": "",
    "alize": "al",
    "iciti": "ic",
    "ical": "ic",
    "ful": "",
    "ness": "",
}
_STEP4_SUFFIXES = "al ance ence er ic able ible ant ement ment ent ou ism ate iti ous ive ize"
_STEP4 = _STEP4_SUFFIXES.split()


def _alternation(suffixes: list[str]) -> str:
    # Python tries alternatives in order, like JavaScript: keep the source order.
    return "|".join(suffixes)


_RE_STEP2 = re.compile(f"^(.+?)({_alternation(list(_STEP2))})$")
_RE_STEP3 = re.compile(f"^(.+?)({_alternation(list(_STEP3))})$")
_RE_STEP4 = re.compile(f"^(.+?)({_alternation(_STEP4)})$")
_RE_STEP4_ION = re.compile("^(.+?)(s|t)(ion)$")
_RE_1A = re.compile("^(.+?)(ss|i)es$")
_RE_1A_S = re.compile("^(.+?)([^s])s$")
_RE_1B_EED = re.compile("^(.+?)eed$")
_RE_1B = re.compile("^(.+?)(ed|ing)$")
_RE_1B_ADD_E = re.compile("(at|bl|iz)$")
_RE_DOUBLE = re.compile("([^aeiouylsz])\\1$")
_RE_1C = re.compile("^(.+?[^aeiou])y$")
_RE_5 = re.compile("^(.+?)e$")


def stem_en(word: str) -> str:
    """Porter stemming as lunr.js 2.3.9 does it; only words of a-z letters are stemmed."""
    if len(word) < 3 or not _ASCII_WORD.fullmatch(word):
        return word
    # An initial y is a consonant: mark it as one for the measure, restore it at the end.
    initial_y = word[0] == "y"
    if initial_y:
        word = "Y" + word[1:]

    if (m := _RE_1A.match(word)) or (m := _RE_1A_S.match(word)):
        word = m.group(1) + m.group(2)

    if m := _RE_1B_EED.match(word):
        if _M_GT0.search(m.group(1)):
            word = word[:-1]
    elif m := _RE_1B.match(word):
        stem = m.group(1)
        if _HAS_VOWEL.search(stem):
            word = stem
            if _RE_1B_ADD_E.search(word):
                word += "e"
            elif _RE_DOUBLE.search(word):
                word = word[:-1]
            elif _CVC.search(word):
                word += "e"

    if m := _RE_1C.match(word):
        word = m.group(1) + "i"

    if (m := _RE_STEP2.match(word)) and _M_GT0.search(m.group(1)):
        word = m.group(1) + _STEP2[m.group(2)]

    if (m := _RE_STEP3.match(word)) and _M_GT0.search(m.group(1)):
        word = m.group(1) + _STEP3[m.group(2)]

    if m := _RE_STEP4.match(word):
        if _M_GT1.search(m.group(1)):
            word = m.group(1)
    elif m := _RE_STEP4_ION.match(word):
        stem = m.group(1) + m.group(2)
        if _M_GT1.search(stem):
            word = stem

    if m := _RE_5.match(word):
        stem = m.group(1)
        if _M_GT1.search(stem) or (_M_EQ1.search(stem) and not _CVC.search(stem)):
            word = stem

    if word.endswith("ll") and _M_GT1.search(word):
        word = word[:-1]

    if initial_y:
        word = "y" + word[1:]
    return word


_FRENCH_WORD = re.compile("[a-zàâäçéèêëîïôöùûüÿœæ]+")


def stem_fr(word: str) -> str:
    """A light French stemmer: "règles" -> "règl", "données" and "donner" -> "donn",
    "chevaux" -> "cheval". Short words (under 4 letters) are kept: "été" stays "été"."""
    if len(word) < 4 or not _FRENCH_WORD.fullmatch(word):
        return word
    if len(word) >= 5 and word.endswith("aux"):
        return word[:-3] + "al"
    if word[-1] in "sx":
        word = word[:-1]
    if len(word) >= 5 and word.endswith("er"):
        return word[:-2]
    # Twice, so that "-ée" and its folded form "-ee" both go.
    for _ in range(2):
        if len(word) >= 4 and word[-1] in "eé":
            word = word[:-1]
    return word
