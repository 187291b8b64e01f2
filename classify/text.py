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

_WORD = re.compile(r"[^\W_]+", re.UNICODE)

_FUNCTION_WORDS = """a au aux d de des du en et l la le les un une pour par sur dans avec ou sous
    the of and for to in on at an with by"""

_SPECIAL = {"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss", "ø": "o", "Ø": "o", "ł": "l", "Ł": "l"}


class Tokens:
    """The content words of a text: their keys, and (computed only when evidence needs them) their spans."""

    __slots__ = ("text", "keys", "_spans")

    def __init__(self, text: str | None):
        self.text = text or ""
        self.keys = [k for k in map(fold, _WORD.findall(self.text)) if k not in STOPWORDS]
        self._spans: list[tuple[int, int]] | None = None

    def _spans_upto(self, index: int) -> list[tuple[int, int]]:
        """Spans of the tokens up to `index` (only as far into the text as evidence needs)."""
        spans = self._spans
        if spans is None:
            spans = self._spans = []
        if len(spans) <= index:
            resume = spans[-1][1] if spans else 0
            for m in _WORD.finditer(self.text, resume):
                if fold(m.group()) not in STOPWORDS:
                    spans.append(m.span())
                    if len(spans) > index:
                        break
        return spans

    def span_text(self, start: int, end: int) -> str:
        """The original text of tokens start..end-1."""
        spans = self._spans_upto(end - 1)
        return self.text[spans[start][0] : spans[end - 1][1]]

    def gap(self, left: int, right: int) -> str:
        """The original text between token `left` and token `right`."""
        spans = self._spans_upto(right)
        return self.text[spans[left][1] : spans[right][0]]

    def __len__(self) -> int:
        return len(self.keys)


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
        if len(w) > 3 and w.endswith("e"):  # feminine of a past participle: "adaptée" -> "adapte" -> "adapt"
            w = w[:-1]
    return w


STOPWORDS = frozenset(fold(w) for w in _FUNCTION_WORDS.split())


def tokens(text: str | None) -> Tokens:
    """The content words of a text (function words skipped)."""
    return Tokens(text)


def phrase_key(phrase: str) -> tuple[str, ...]:
    """The token sequence a taxonomy phrase matches."""
    return tuple(Tokens(phrase).keys)
