"""Fit the per-theme evidence weights and thresholds (classify/weights.yaml) on the tuning part, offline.

    .venv/bin/pip install -e '.[train]'      # scikit-learn, for this script only
    .venv/bin/python bench/fit_weights.py [--write]

Features are the classifier's own evidence: for each theme, the best phrase weight found in the title, the
lot titles and the description, the best CPV rule weight and the best BOAMP descriptor weight (the taxonomy's
relative weights, before calibration). Per theme, a logistic regression over those features gives a weight
per kind of evidence and a threshold (the decision boundary w.x + b = 0, scaled so that the title counts 1).
Kinds the tuning notices never carry (BOAMP corpora have no lots, descriptions or CPV) keep their hand-set
weights relative to the title. Themes with fewer than MIN_POSITIVE tuning examples keep the hand-set values.

Only the tuning part is read. The fitted weights replace the hand-set ones only where 5-fold cross-validation
on the tuning part shows a better micro-F1; both figures are printed. The locked test part is never read here.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.classify_eval import EVALSET, load  # noqa: E402
from classify.engine import Classifier, ClassifyInput  # noqa: E402
from classify.taxonomy import THEME_CODES  # noqa: E402
from classify.taxonomy import load as load_taxonomy  # noqa: E402
from classify.weights import DEFAULT_PATH, KINDS, ThemeWeights, Weights, hand_set  # noqa: E402

MIN_POSITIVE = 15
FOLDS = 5
SEED = 11


def features(rows: list[dict]) -> dict[str, list[list[float]]]:
    """Per theme, one row of raw evidence weights (title, lots, description, cpv, descriptors) per notice."""
    taxonomy = load_taxonomy()
    neutral = Weights({c: ThemeWeights(0.001, dict.fromkeys(KINDS, 1.0)) for c in THEME_CODES}, "neutral")
    classifier = Classifier(taxonomy, weights=neutral)
    out: dict[str, list[list[float]]] = {c: [] for c in THEME_CODES}
    for row in rows:
        found = {t["code"]: t["evidence"] for t in classifier.classify(ClassifyInput.from_json(row))["themes"]}
        for code in THEME_CODES:
            vec = dict.fromkeys(KINDS, 0.0)
            for ev in found.get(code, ()):
                vec[ev["field"]] = max(vec[ev["field"]], ev["weight"])
            out[code].append([vec[k] for k in KINDS])
    return out


def predict(weights: ThemeWeights, x: list[float]) -> bool:
    return sum(weights.kinds[k] * v for k, v in zip(KINDS, x, strict=True)) >= weights.threshold - 1e-9


def fit(x: list[list[float]], y: list[int], base: ThemeWeights) -> ThemeWeights:
    from sklearn.linear_model import LogisticRegression

    used = [i for i, k in enumerate(KINDS) if any(row[i] for row in x)]
    if "title" not in [KINDS[i] for i in used] or sum(y) < 2:
        return base
    model = LogisticRegression(C=10.0, max_iter=1000)
    model.fit([[row[i] for i in used] for row in x], y)
    coef = dict(zip([KINDS[i] for i in used], model.coef_[0], strict=True))
    scale = coef["title"]
    if scale <= 0:
        return base
    kinds = dict(base.kinds)  # unseen kinds keep their hand-set value relative to title
    for k, w in coef.items():
        kinds[k] = round(min(max(w / scale, 0.0), 5.0), 3)
    threshold = round(min(max(-model.intercept_[0] / scale, 0.05), 10.0), 3)
    return ThemeWeights(threshold, kinds)


def f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def cross_validate(feats: dict[str, list[list[float]]], gold: dict[str, list[int]], base: ThemeWeights) -> tuple:
    import random

    n = len(next(iter(gold.values())))
    order = list(range(n))
    random.Random(SEED).shuffle(order)
    folds = [order[i::FOLDS] for i in range(FOLDS)]
    totals = {"hand": [0, 0, 0], "fitted": [0, 0, 0]}
    per_theme = {}
    for code in THEME_CODES:
        x, y = feats[code], gold[code]
        counts = {"hand": [0, 0, 0], "fitted": [0, 0, 0]}
        for fold in folds:
            held = set(fold)
            train = [i for i in range(n) if i not in held]
            fitted = fit([x[i] for i in train], [y[i] for i in train], base) if sum(y) >= MIN_POSITIVE else base
            for name, w in (("hand", base), ("fitted", fitted)):
                for i in fold:
                    p = predict(w, x[i])
                    counts[name][0] += p and y[i]
                    counts[name][1] += p and not y[i]
                    counts[name][2] += (not p) and y[i]
        for name in totals:
            totals[name] = [a + b for a, b in zip(totals[name], counts[name], strict=True)]
        per_theme[code] = (f1(*counts["hand"]), f1(*counts["fitted"]), sum(y))
    return f1(*totals["hand"]), f1(*totals["fitted"]), per_theme


def write(path: Path, weights: dict[str, ThemeWeights], version: str, note: str) -> None:
    lines = [
        "# Per-theme evidence weights and thresholds, fitted by bench/fit_weights.py on the tuning part of",
        "# tests/classify/evalset.jsonl (logistic regression over the classifier's own evidence). Edit with care:",
        "# `classify --all` re-classifies the archive after a change (the file's hash is part of the version).",
        f"# {note}",
        f'taxonomy: "{version}"',
        "fitted: true",
        "themes:",
    ]
    for code, w in weights.items():
        kinds = ", ".join(f"{k}: {w.kinds[k]:g}" for k in KINDS)
        lines.append(f"  {code}: {{threshold: {w.threshold:g}, {kinds}}}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"write {DEFAULT_PATH.relative_to(ROOT)}")
    args = parser.parse_args()
    rows = [r for r in load(EVALSET) if r["part"] == "tuning"]
    taxonomy = load_taxonomy()
    base = hand_set(taxonomy.fields, taxonomy.threshold)
    feats = features(rows)
    gold = {code: [int(code in r["labels"]) for r in rows] for code in THEME_CODES}
    hand_f1, fitted_f1, per_theme = cross_validate(feats, gold, base)
    print(f"tuning part: {len(rows)} notices; {FOLDS}-fold cross-validation, micro-F1")
    print(f"  hand-set weights: {hand_f1:.3f}   fitted (logistic regression): {fitted_f1:.3f}")
    print(f"  {'theme':<24} {'hand':>6} {'fitted':>6} {'n':>5}")
    chosen = {}
    for code, (h, f, n) in per_theme.items():
        use = f > h and n >= MIN_POSITIVE
        print(f"  {code:<24} {h:6.3f} {f:6.3f} {n:5} {'fitted' if use else 'hand-set'}")
        if use:
            chosen[code] = fit(feats[code], gold[code], base)
    for code, w in chosen.items():
        print(f"  {code}: threshold {w.threshold:g}, " + ", ".join(f"{k} {w.kinds[k]:g}" for k in KINDS))
    if args.write:
        note = f"cross-validated micro-F1 on the tuning part: hand-set {hand_f1:.3f}, fitted {fitted_f1:.3f}"
        write(DEFAULT_PATH, chosen, taxonomy.version, note + f"; fitted themes: {len(chosen)}")
        print(f"wrote {DEFAULT_PATH.relative_to(ROOT)} ({len(chosen)} fitted themes; others keep the hand-set weights)")


if __name__ == "__main__":
    main()
