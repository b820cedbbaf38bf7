"""lunr.py pipeline functions, registered under the names search-core.js registers in lunr.js.

A serialized index names its search pipeline; lunr.js refuses to load a name it does not know
and silently differs if the function behind the name does. So every function here is tiny and
has a twin of the same name in themes/default/static/js/search-core.js.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lunr.pipeline import Pipeline
from lunr.stop_word_filter import stop_word_filter
from lunr.token import Token

from kbgen.search.stemmers import stem_en, stem_fr

# French words too common to search for, accented and folded ("où" and "ou").
_STOP_FR = """a à au aux c ce ces d dans de des du elle en est et il ils j l la le les leur leurs
m ma mais me mes n ne nous on ou où par pour qu que qui s sa se ses son sur t ta te tes ton tu
un une vos votre vous y"""
FRENCH_STOP_WORDS = frozenset(_STOP_FR.split())

PipelineFunction = Callable[[Token, int, list[Token]], Any]


def stop_fr(token: Token, i: int = 0, tokens: list[Token] | None = None) -> Token | None:
    return None if str(token) in FRENCH_STOP_WORDS else token


def stem_fr_token(token: Token, i: int = 0, tokens: list[Token] | None = None) -> Token:
    return token.update(lambda s, _meta: stem_fr(s))


def stem_en_token(token: Token, i: int = 0, tokens: list[Token] | None = None) -> Token:
    return token.update(lambda s, _meta: stem_en(s))


Pipeline.register_function(stop_fr, "kbgen-stop-fr")
Pipeline.register_function(stem_fr_token, "kbgen-stem-fr")
Pipeline.register_function(stem_en_token, "kbgen-stem-en")
# English stop words: lunr's own "stopWordFilter", whose list is the same in lunr.py and
# lunr.js (registered by both libraries).

# Per language; other languages (and Vietnamese: no stemmer, no stop words) get none, so
# their words are indexed as written, and folded.
PIPELINES: dict[str, tuple[PipelineFunction, ...]] = {
    "fr": (stop_fr, stem_fr_token),
    "en": (stop_word_filter, stem_en_token),
}


def functions_for(lang: str) -> tuple[PipelineFunction, ...]:
    """The pipeline of a language code such as "fr" or "en-GB"."""
    return PIPELINES.get(lang.split("-")[0].lower(), ())


def make_pipeline(lang: str) -> Pipeline:
    pipeline = Pipeline()
    pipeline.add(*functions_for(lang))
    return pipeline


def run(lang: str, word: str) -> str | None:
    """One normalized word through the language's pipeline; None when it is a stop word."""
    found = make_pipeline(lang).run_string(word)
    return found[0] if found else None
