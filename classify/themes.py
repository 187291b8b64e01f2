"""Scoring the ten themes with their evidence.

Per field (title, lot titles, description) the best phrase match of a theme counts, times the field's
weight; a theme's `exclude` phrase in a text drops that theme's matches from that text; a phrase's
`unless` words in the same text cancel that phrase. The best CPV rule and the best descriptor rule add
their weights. A theme whose score reaches the threshold is assigned, with every piece of evidence that
counted: the phrase or code, the field, and the matched text as the notice wrote it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from classify.matcher import PhraseIndex, contains
from classify.taxonomy import Context, Phrase, Taxonomy
from classify.text import Tokens, tokens
from classify.weights import ThemeWeights, Weights, hand_set

FIELDS = ("title", "lots", "description")


@dataclass
class ThemeResult:
    code: str
    score: float
    evidence: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "score": self.score, "evidence": self.evidence}


def in_context(keys: list[str], start: int, end: int, context: Context) -> bool:
    """Whether the words around a match (start..end) say it names the place rather than the object bought."""
    if _found(keys, context.before_index, max(0, start - context.window), start, start) or (
        context.after_index and _found(keys, context.after_index, end, min(len(keys), end + context.window), None)
    ):
        return not (context.except_index and _found(keys, context.except_index, 0, start, start))
    return False


def _found(keys: list[str], index: dict, lo: int, hi: int, limit: int | None) -> bool:
    """Whether a phrase of `index` starts in keys[lo:hi] (and, with a limit, ends before it)."""
    for i in range(lo, hi):
        for phrase in index.get(keys[i], ()):
            n = len(phrase)
            if (limit is None or i + n <= limit) and (n == 1 or tuple(keys[i : i + n]) == phrase):
                return True
    return False


class ThemeScorer:
    def __init__(self, taxonomy: Taxonomy, known_words: frozenset[str] = frozenset(), weights: Weights | None = None):
        self.taxonomy = taxonomy
        default = hand_set(taxonomy.fields, taxonomy.threshold)
        self.calibration: dict[str, ThemeWeights] = {
            theme.code: (weights.themes.get(theme.code) if weights else None) or default for theme in taxonomy.themes
        }
        entries = []
        for theme in taxonomy.themes:
            entries += [(p.key, (theme.code, "include", p)) for p in theme.phrases]
            entries += [(p.key, (theme.code, "exclude", p)) for p in theme.exclude]
        entries += [(p.key, ("*", "exclude", p)) for p in taxonomy.exclude_all]
        self.index = PhraseIndex(entries, known_words=known_words, fuzzy_min_length=taxonomy.fuzzy_min_length)
        self.cpv_rules = [(rule.code, theme.code, rule.weight) for theme in taxonomy.themes for rule in theme.cpv]
        self.cpv_rules.sort(key=lambda r: -len(r[0]))
        self.descriptor_by_code: dict[str, list[tuple[str, float, str | None]]] = defaultdict(list)
        self.descriptor_by_label: dict[tuple[str, ...], list[tuple[str, float, str]]] = defaultdict(list)
        for theme in taxonomy.themes:
            for rule in theme.descriptors:
                self.descriptor_by_code[rule.code].append((theme.code, rule.weight, rule.label))
                if rule.label:
                    key = tuple(tokens(rule.label).keys)
                    self.descriptor_by_label[key].append((theme.code, rule.weight, rule.code))

    def _text_evidence(self, field_name: str, toks: Tokens) -> dict[str, dict[str, Any]]:
        """Best evidence per theme in one text."""
        if not toks.keys:
            return {}
        keys = toks.keys
        excluded = set()
        best: dict[str, dict[str, Any]] = {}
        keyset: set[str] | None = None
        for m in self.index.find(toks):
            code, role, phrase = m.payload
            if role == "exclude":
                if not m.fuzzy:
                    excluded.add(code)
                continue
            if phrase.unless:
                if keyset is None:
                    keyset = set(keys)  # once per text, only when a phrase has `unless` words
                if any((u[0] in keyset) if len(u) == 1 else contains(keys, u) for u in phrase.unless):
                    continue
            if phrase.contexts and any(in_context(keys, m.start, m.end, c) for c in phrase.contexts):
                continue
            weight = phrase.weight * (self.taxonomy.fuzzy_weight if m.fuzzy else 1.0)
            if code not in best or weight > best[code]["weight"]:
                best[code] = self._evidence(field_name, toks, m.start, m.end, phrase, weight, m.fuzzy)
        if "*" in excluded:
            return {}
        return {code: ev for code, ev in best.items() if code not in excluded}

    @staticmethod
    def _evidence(
        field_name: str, toks: Tokens, start: int, end: int, phrase: Phrase, weight: float, fuzzy: bool
    ) -> dict[str, Any]:
        return {
            "field": field_name,
            "phrase": phrase.text,
            "text": (toks, start, end),  # resolved to the notice's own words only for assigned themes
            "match": "fuzzy" if fuzzy else "exact",
            "weight": round(weight, 3),
        }

    def score(
        self,
        texts: dict[str, list[str]],
        cpv: list[str] = (),  # type: ignore[assignment]
        descriptor_codes: list[str] = (),  # type: ignore[assignment]
        descriptor_labels: list[str] = (),  # type: ignore[assignment]
        tokenize: Callable[[str], Tokens] = tokens,
    ) -> list[ThemeResult]:
        scores: dict[str, float] = defaultdict(float)
        evidence: dict[str, list[dict[str, Any]]] = defaultdict(list)
        calibration = self.calibration
        for field_name in FIELDS:
            best: dict[str, dict[str, Any]] = {}
            for text in texts.get(field_name) or ():
                for code, ev in self._text_evidence(field_name, tokenize(text)).items():
                    if code not in best or ev["weight"] > best[code]["weight"]:
                        best[code] = ev
            for code, ev in best.items():
                ev["weight"] = round(ev["weight"] * calibration[code].kinds[field_name], 3)
                if ev["weight"] > 0:
                    scores[code] += ev["weight"]
                    evidence[code].append(ev)
        cpv_best: dict[str, dict[str, Any]] = {}
        for code in cpv:
            for prefix, theme, weight in self.cpv_rules:
                if code.startswith(prefix) and (theme not in cpv_best or weight > cpv_best[theme]["weight"]):
                    cpv_best[theme] = {"field": "cpv", "code": code, "rule": prefix, "weight": weight}
        desc_best: dict[str, dict[str, Any]] = {}
        for code in descriptor_codes:
            for theme, weight, label in self.descriptor_by_code.get(str(code), ()):
                if theme not in desc_best or weight > desc_best[theme]["weight"]:
                    desc_best[theme] = {"field": "descriptors", "code": str(code), "label": label, "weight": weight}
        for label in descriptor_labels:
            key = tuple(tokens(label).keys)
            for theme, weight, code in self.descriptor_by_label.get(key, ()):
                if theme not in desc_best or weight > desc_best[theme]["weight"]:
                    desc_best[theme] = {"field": "descriptors", "code": code, "label": label, "weight": weight}
        for kind, found in (("cpv", cpv_best), ("descriptors", desc_best)):
            for theme, ev in found.items():
                ev["weight"] = round(ev["weight"] * calibration[theme].kinds[kind], 3)
                if ev["weight"] > 0:
                    scores[theme] += ev["weight"]
                    evidence[theme].append(ev)
        results = []
        for code, score in scores.items():
            if score >= calibration[code].threshold - 1e-9:
                for ev in evidence[code]:
                    if isinstance(ev.get("text"), tuple):
                        toks, start, end = ev["text"]
                        ev["text"] = toks.span_text(start, end)
                results.append(ThemeResult(code, round(score, 3), sorted(evidence[code], key=lambda e: -e["weight"])))
        return sorted(results, key=lambda r: (-r.score, r.code))
