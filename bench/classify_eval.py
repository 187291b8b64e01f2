"""Theme classifier quality: precision, recall and F1 per theme and micro, on the blind evaluation set.

    .venv/bin/python bench/classify_eval.py                 # locked test part, then tuning part
    .venv/bin/python bench/classify_eval.py --errors        # also the tuning part's errors (never the test's)
    .venv/bin/python bench/classify_eval.py --devset tests/classify/devset.jsonl   # the old development set

The evaluation set (tests/classify/evalset.jsonl, README beside it) is 3,600 BOAMP notices drawn at random
with a fixed seed, labelled twice blind by independent labellers and adjudicated. It was split once, by seed:
a tuning part (two thirds) used to choose phrases, context rules and weights, and a locked test part (one
third) that only this report reads. The figures to quote are the locked test's.
Notices go through the same JSON-lines input as `run_watch.py classify --jsonl`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from classify.engine import Classifier, ClassifyInput  # noqa: E402
from classify.taxonomy import THEME_CODES  # noqa: E402
from classify.taxonomy import load as load_taxonomy  # noqa: E402
from classify.weights import load as load_weights  # noqa: E402

DEVSET = ROOT / "tests" / "classify" / "devset.jsonl"
EVALSET = ROOT / "tests" / "classify" / "evalset.jsonl"
TARGETS = {"f1": 0.88, "precision": 0.85, "theme_recall": 0.75, "theme_min_examples": 10}


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def evaluate(rows: list[dict], predict: Callable[[dict], set[str]]) -> dict[str, dict[str, float]]:
    counts = {code: {"tp": 0, "fp": 0, "fn": 0, "n": 0} for code in THEME_CODES}
    for row in rows:
        gold, pred = set(row["labels"]), predict(row)
        for code in THEME_CODES:
            counts[code]["n"] += code in gold
            if code in pred and code in gold:
                counts[code]["tp"] += 1
            elif code in pred:
                counts[code]["fp"] += 1
            elif code in gold:
                counts[code]["fn"] += 1
    total = {key: sum(c[key] for c in counts.values()) for key in ("tp", "fp", "fn", "n")}
    out = {code: _prf(c) for code, c in counts.items()}
    out["micro"] = _prf(total)
    return out


def _prf(c: dict[str, int]) -> dict[str, float]:
    p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 0.0
    r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f, **c}


def report(scores: dict[str, dict[str, float]], title: str) -> None:
    print(title)
    print(f"  {'theme':<24} {'P':>6} {'R':>6} {'F1':>6} {'n':>5} {'tp':>4} {'fp':>4} {'fn':>4}")
    for code, s in scores.items():
        print(
            f"  {code:<24} {s['precision']:6.3f} {s['recall']:6.3f} {s['f1']:6.3f} {s['n']:5} "
            f"{s['tp']:4} {s['fp']:4} {s['fn']:4}"
        )


def targets_met(scores: dict[str, dict[str, float]]) -> list[str]:
    """The targets of the locked test part that are not met (empty: all met)."""
    missed = []
    micro = scores["micro"]
    if micro["f1"] < TARGETS["f1"]:
        missed.append(f"micro-F1 {micro['f1']:.3f} < {TARGETS['f1']}")
    if micro["precision"] < TARGETS["precision"]:
        missed.append(f"micro-precision {micro['precision']:.3f} < {TARGETS['precision']}")
    for code in THEME_CODES:
        s = scores[code]
        if s["n"] >= TARGETS["theme_min_examples"] and s["recall"] < TARGETS["theme_recall"]:
            missed.append(f"{code} recall {s['recall']:.3f} < {TARGETS['theme_recall']} ({s['n']} examples)")
    return missed


def classifier_predict(classifier: Classifier) -> Callable[[dict], set[str]]:
    return lambda row: {t["code"] for t in classifier.classify(ClassifyInput.from_json(row))["themes"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evalset", type=Path, default=EVALSET)
    parser.add_argument("--devset", type=Path, help="report on this older, unsplit set instead")
    parser.add_argument("--taxonomy", type=Path, help="another taxonomy file (default: the shipped one)")
    parser.add_argument("--weights", type=Path, help="another weights file (default: the shipped one)")
    parser.add_argument("--errors", action="store_true", help="list the tuning part's false positives and negatives")
    args = parser.parse_args()
    taxonomy = load_taxonomy(args.taxonomy)
    weights = load_weights(args.weights, taxonomy.fields, taxonomy.threshold)
    classifier = Classifier(taxonomy, weights=weights)
    predict = classifier_predict(classifier)
    if args.devset:
        rows = load(args.devset)
        print(f"{args.devset.name}: {len(rows)} notices; classifier {classifier.version}")
        report(evaluate(rows, predict), "classifier")
        return
    rows = load(args.evalset)
    parts = {part: [r for r in rows if r["part"] == part] for part in ("test", "tuning")}
    print(f"evaluation set: {len(rows)} notices; classifier {classifier.version}")
    for part, title in (("test", "LOCKED TEST part (report these)"), ("tuning", "tuning part (phrases, weights)")):
        part_rows = parts[part]
        with_theme = sum(1 for r in part_rows if r["labels"])
        scores = evaluate(part_rows, predict)
        report(scores, f"{title}: {len(part_rows)} notices, {with_theme} with a theme")
        if part == "test":
            missed = targets_met(scores)
            print(
                "  targets (micro-F1 >= 0.88, micro-P >= 0.85, recall >= 0.75 for themes with >= 10 examples): "
                + ("met" if not missed else "NOT met: " + "; ".join(missed))
            )
    if args.errors:
        for row in parts["tuning"]:
            gold, pred = set(row["labels"]), predict(row)
            if gold != pred:
                print(f"  {row['id']}: gold={sorted(gold)} pred={sorted(pred)} | {row['title'][:120]}")


if __name__ == "__main__":
    main()
