"""One normalisation for notices and taxonomy phrases, so both sides always agree.

Words are runs of letters and digits in the original text (their spans are kept for evidence). Each word
is lower-cased, stripped of accents (œ/æ spelled out), then lightly folded: a final -s/-x is dropped and a
final -e after that (plural and feminine: "adaptées" = "adapté" = "adapte"), -aux becomes -al. This is
deliberately not a stemmer: "restauration" and "restaurant" stay apart. Small function words (de, la,
des, pour, the, of ...) are skipped on both sides, so "portage des repas" matches "portage de repas".
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

_WORD = re.compile(r"[^\W_]+", re.UNICODE)

_FUNCTION_WORDS = """a au aux d de des du en et l la le les un une pour par sur dans avec ou sous
    the of and for to in on at an with by"""

_SPECIAL = {"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss", "ø": "o", "Ø": "o", "ł": "l", "Ł": "l"}


class Token(NamedTuple):
    key: str  # normalised and folded
    start: int  # span in the original text
    end: int


@lru_cache(maxsize=200_000)
def fold(word: str) -> str:
    """Normalise one word: lower case, no accents, light plural/feminine folding."""
    w = word.lower()
    if not w.isascii():
        w = "".join(_SPECIAL.get(c, c) for c in w)
        w = unicodedata.normalize("NFKD", w)
        w = "".join(c for c in w if not unicodedata.combining(c))
    if len(w) <= 3 or w.isdigit():
        return w
    if w.endswith("aux") and len(w) > 4:
        w = w[:-3] + "al"
    elif w[-1] in "sx":
        w = w[:-1]
    if len(w) > 3 and w.endswith("e"):
        w = w[:-1]
    return w


STOPWORDS = frozenset(fold(w) for w in _FUNCTION_WORDS.split())


def tokens(text: str | None) -> list[Token]:
    """The content words of a text with their original spans (function words skipped)."""
    if not text:
        return []
    out = []
    for m in _WORD.finditer(text):
        key = fold(m.group())
        if key not in STOPWORDS:
            out.append(Token(key, m.start(), m.end()))
    return out


def phrase_key(phrase: str) -> tuple[str, ...]:
    """The token sequence a taxonomy phrase matches."""
    return tuple(t.key for t in tokens(phrase))
