"""Multi-phrase matching over normalised tokens, exact then fuzzy.

Exact: every phrase is indexed by its first token; a text is scanned once and, at each token, only the
phrases starting with that token are compared (a dict lookup per token, not a regex per phrase).

Fuzzy: a word that is not in the phrase vocabulary, not a known correctly spelled word, and long enough,
is compared with the vocabulary's long words by Levenshtein distance (rapidfuzz, one edit); the best
neighbour replaces it and the text is matched again. A match through a corrected word counts only when
the phrase anchors it (see `_plausible`). Results are memoised per word,
so the cost is paid once per distinct word in the whole corpus, never phrase-by-document.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from classify.text import Tokens


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
        by_first: dict[str, list[tuple[tuple[str, ...], int, Any]]] = defaultdict(list)
        vocab: set[str] = set()
        for key, payload in entries:
            by_first[key[0]].append((key, len(key), payload))
            vocab.update(key)
        self.by_first = dict(by_first)  # a plain dict: membership tests must not insert
        # The scan looks phrases up by their first word, and multi-word ones by their first two words, so a
        # common first word ("étude", "plan", "mise") costs one lookup, not one comparison per phrase.
        single: dict[str, list[Any]] = defaultdict(list)
        by_pair: dict[tuple[str, str], list[tuple[tuple[str, ...], int, Any]]] = defaultdict(list)
        for first, items in self.by_first.items():
            for key, length, payload in items:
                if length == 1:
                    single[first].append(payload)
                else:
                    by_pair[(key[0], key[1])].append((key, length, payload))
        self.single = dict(single)
        self.by_pair = dict(by_pair)
        self.vocab = frozenset(vocab)
        self.known = known_words | self.vocab
        self.min_length = fuzzy_min_length
        self._long_vocab = sorted(w for w in self.vocab if len(w) >= fuzzy_min_length - 1 and w.isalpha())
        self._corrections: dict[str, str | None] = {}

    def _scan(self, keys: list[str], corrected: list[bool] | None, originals: list[str] | None = None) -> list[Match]:
        found = []
        n = len(keys)
        by_first, single, by_pair = self.by_first, self.single, self.by_pair
        for i in [i for i, key in enumerate(keys) if key in by_first]:
            key = keys[i]
            for payload in single.get(key, ()):
                if corrected is None:
                    found.append(Match(i, i + 1, payload, False))
                elif corrected[i] and self._plausible((key,), corrected[i : i + 1], originals[i : i + 1]):  # type: ignore[index]
                    found.append(Match(i, i + 1, payload, True))
            if i + 1 >= n:
                continue
            for phrase, length, payload in by_pair.get((key, keys[i + 1]), ()):
                end = i + length
                if length == 2 or (end <= n and tuple(keys[i:end]) == phrase):
                    if corrected is None:
                        found.append(Match(i, end, payload, False))
                    elif any(corrected[i:end]) and self._plausible(phrase, corrected[i:end], originals[i:end]):  # type: ignore[index]
                        found.append(Match(i, end, payload, True))
        return found

    @staticmethod
    def _plausible(phrase: tuple[str, ...], corrected: list[bool], originals: list[str]) -> bool:
        """A fuzzy match counts when the corrected words are long (short French words are one letter apart
        all the time: toiture and voiture, canton and cantine, traiter and traiteur) and the phrase anchors
        it: another of its words matched exactly, or, for a one-word phrase, the word is very long."""
        if any(c and len(w) < 8 for w, c in zip(originals, corrected, strict=True)):
            return False
        if len(phrase) > 1:
            return not all(corrected)
        return len(phrase[0]) >= 9

    def correction(self, word: str) -> str | None:
        """The vocabulary word a misspelt word most likely meant, or None."""
        if word in self._corrections:
            return self._corrections[word]
        best = None
        if len(word) >= self.min_length and word.isalpha() and word not in self.known:
            hit = process.extractOne(word, self._long_vocab, scorer=Levenshtein.distance, score_cutoff=1)
            if hit is not None:
                best = hit[0]
        self._corrections[word] = best
        return best

    def find(self, toks: Tokens, *, fuzzy: bool = True) -> list[Match]:
        keys = toks.keys
        matches = self._scan(keys, None)
        if fuzzy:
            known, shortest = self.known, self.min_length
            fixed = [None if k in known or len(k) < shortest else self.correction(k) for k in keys]
            if any(fixed):
                corrected = [f is not None for f in fixed]
                keys2 = [f or k for f, k in zip(fixed, keys, strict=True)]
                matches += self._scan(keys2, corrected, keys)
        return matches


def contains(keys: list[str], phrase: tuple[str, ...]) -> bool:
    """Whether a token sequence contains a phrase (for `unless` words)."""
    if len(phrase) == 1:
        return phrase[0] in keys
    n = len(phrase)
    return any(tuple(keys[i : i + n]) == phrase for i in range(len(keys) - n + 1))
