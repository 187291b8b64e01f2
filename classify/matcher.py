"""Multi-phrase matching over normalised tokens, exact then fuzzy.

Exact: every phrase is indexed by its first token; a text is scanned once and, at each token, only the
phrases starting with that token are compared (a dict lookup per token, not a regex per phrase).

Fuzzy: a word that is not in the phrase vocabulary, not a known correctly spelled word, and long enough,
is compared with the vocabulary's long words by Levenshtein distance (rapidfuzz, 1 edit, 2 from ten
letters); the best neighbour replaces it and the text is matched again. Results are memoised per word,
so the cost is paid once per distinct word in the whole corpus, never phrase-by-document.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from classify.text import Token


@dataclass(frozen=True)
class Match:
    start: int  # token index, inclusive
    end: int  # token index, exclusive
    payload: Any
    fuzzy: bool


class PhraseIndex:
    def __init__(
        self,
        entries: Iterable[tuple[tuple[str, ...], Any]],
        *,
        known_words: frozenset[str] = frozenset(),
        fuzzy_min_length: int = 6,
    ):
        self.by_first: dict[str, list[tuple[tuple[str, ...], Any]]] = defaultdict(list)
        vocab: set[str] = set()
        for key, payload in entries:
            self.by_first[key[0]].append((key, payload))
            vocab.update(key)
        self.vocab = frozenset(vocab)
        self.known = known_words | self.vocab
        self.min_length = fuzzy_min_length
        self._long_vocab = sorted(w for w in self.vocab if len(w) >= fuzzy_min_length - 1 and w.isalpha())
        self._corrections: dict[str, str | None] = {}

    def _scan(self, keys: list[str], corrected: list[bool] | None) -> list[Match]:
        found = []
        n = len(keys)
        for i, key in enumerate(keys):
            candidates = self.by_first.get(key)
            if not candidates:
                continue
            for phrase, payload in candidates:
                end = i + len(phrase)
                if end <= n and (len(phrase) == 1 or tuple(keys[i:end]) == phrase):
                    fuzzy = corrected is not None and any(corrected[i:end])
                    if corrected is None or fuzzy:
                        found.append(Match(i, end, payload, fuzzy))
        return found

    def correction(self, word: str) -> str | None:
        """The vocabulary word a misspelt word most likely meant, or None."""
        if word in self._corrections:
            return self._corrections[word]
        best = None
        if len(word) >= self.min_length and word.isalpha() and word not in self.known:
            limit = 1 if len(word) < 10 else 2
            hit = process.extractOne(word, self._long_vocab, scorer=Levenshtein.distance, score_cutoff=limit)
            if hit is not None:
                best = hit[0]
        self._corrections[word] = best
        return best

    def find(self, toks: list[Token], *, fuzzy: bool = True) -> list[Match]:
        keys = [t.key for t in toks]
        matches = self._scan(keys, None)
        if fuzzy:
            fixed = [self.correction(k) for k in keys]
            if any(fixed):
                corrected = [f is not None for f in fixed]
                keys2 = [f or k for f, k in zip(fixed, keys, strict=True)]
                matches += self._scan(keys2, corrected)
        return matches


def contains(keys: list[str], phrase: tuple[str, ...]) -> bool:
    """Whether a token sequence contains a phrase (for `unless` words)."""
    if len(phrase) == 1:
        return phrase[0] in keys
    n = len(phrase)
    return any(tuple(keys[i : i + n]) == phrase for i in range(len(keys) - n + 1))
