"""Per-theme calibration of the evidence: how much each kind of evidence weighs, and the threshold.

The taxonomy says *what* is evidence (phrases, context rules, CPV and descriptor codes, each with a relative
weight); this file says how much each kind counts for each theme. It is fitted offline on the tuning part of the
evaluation set (`bench/fit_weights.py`, logistic regression over the same features) and shipped as data beside
the taxonomy, so run time stays a scan plus a sum. A theme the file does not name uses the taxonomy's field
weights and threshold. Errors name the file and the entry:
`classify/weights.yaml: themes.mobilite_verte.title: weight must be a number in [0, 5], got 'x'`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from classify.taxonomy import THEME_CODES, TaxonomyError
from settings import yamlfile

DEFAULT_PATH = Path(__file__).resolve().parent / "weights.yaml"
KINDS = ("title", "lots", "description", "cpv", "descriptors")
# The weight of each kind of evidence before any fit (the taxonomy's `fields` override the text ones).
DEFAULT_KINDS = {"title": 1.0, "lots": 0.8, "description": 0.5, "cpv": 1.0, "descriptors": 1.0}


class WeightsError(TaxonomyError):
    """A weights file that cannot be used (the message names the file and the entry)."""


@dataclass(frozen=True)
class ThemeWeights:
    threshold: float
    kinds: dict[str, float]  # title, lots, description, cpv, descriptors


@dataclass(frozen=True)
class Weights:
    themes: dict[str, ThemeWeights]
    digest: str  # part of the classifier version: new weights make stored classifications stale
    path: str = ""


def hand_set(fields: dict[str, float] | None = None, threshold: float = 1.0) -> ThemeWeights:
    """A theme's weights when no fit replaces them: the defaults, the taxonomy's field weights, its threshold."""
    return ThemeWeights(threshold, {**DEFAULT_KINDS, **(fields or {})})


def _number(value: Any, file: str, where: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise WeightsError(f"{file}: {where}: weight must be a number in [{low:g}, {high:g}], got {value!r}")
    return float(value)


def load(path: str | Path | None = None, defaults: dict[str, float] | None = None, threshold: float = 1.0) -> Weights:
    """Read and validate a weights file; `defaults` are the taxonomy's field weights for kinds a theme omits."""
    path = Path(path or DEFAULT_PATH)
    file = str(path)
    base = hand_set(defaults, threshold).kinds
    if not path.exists():
        return Weights({}, "none", file)
    try:
        raw = path.read_text(encoding="utf-8")
        data = yamlfile.safe_load(raw)
    except OSError as exc:
        raise WeightsError(f"{file}: cannot read ({exc})") from exc
    except yamlfile.YAMLError as exc:
        raise WeightsError(f"{file}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("themes"), dict):
        raise WeightsError(f"{file}: expected a mapping with a 'themes' mapping")
    unknown = set(data) - {"themes", "fitted", "taxonomy"}
    if unknown:
        raise WeightsError(f"{file}: {sorted(unknown)[0]}: unknown key (expected themes, fitted, taxonomy)")
    themes = {}
    for code, entry in data["themes"].items():
        where = f"themes.{code}"
        if code not in THEME_CODES:
            raise WeightsError(f"{file}: {where}: unknown theme code (expected one of {', '.join(THEME_CODES)})")
        if not isinstance(entry, dict):
            raise WeightsError(f"{file}: {where}: expected a mapping of threshold and kinds")
        extra = set(entry) - {"threshold", *KINDS}
        if extra:
            expected = ", ".join(("threshold", *KINDS))
            raise WeightsError(f"{file}: {where}.{sorted(extra)[0]}: unknown key (expected {expected})")
        kinds = {k: _number(entry.get(k, base[k]), file, f"{where}.{k}", 0.0, 5.0) for k in KINDS}
        cut = _number(entry.get("threshold", threshold), file, f"{where}.threshold", 0.01, 10.0)
        themes[code] = ThemeWeights(cut, kinds)
    return Weights(themes, hashlib.sha1(raw.encode()).hexdigest()[:8], file)
