"""Theme classifier quality on the hand-labelled development set: precision, recall, F1 per theme and micro.

    .venv/bin/python bench/classify_eval.py [--devset tests/classify/devset.jsonl] [--errors]

The development set (tests/classify/devset.jsonl, README beside it) holds real BOAMP notices labelled by
hand following THEMES.md. It goes through the same JSON-lines input as `run_watch.py classify --jsonl`.
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

DEVSET = ROOT / "tests" / "classify" / "devset.jsonl"


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def evaluate(rows: list[dict], predict: Callable[[dict], set[str]]) -> dict[str, dict[str, float]]:
    counts = {code: {"tp": 0, "fp": 0, "fn": 0} for code in THEME_CODES}
    for row in rows:
        gold, pred = set(row["labels"]), predict(row)
        for code in THEME_CODES:
            if code in pred and code in gold:
                counts[code]["tp"] += 1
            elif code in pred:
                counts[code]["fp"] += 1
            elif code in gold:
                counts[code]["fn"] += 1
    total = {
        "tp": sum(c["tp"] for c in counts.values()),
        "fp": sum(c["fp"] for c in counts.values()),
        "fn": sum(c["fn"] for c in counts.values()),
    }
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
    print(f"  {'theme':<24} {'P':>6} {'R':>6} {'F1':>6} {'tp':>4} {'fp':>4} {'fn':>4}")
    for code, s in scores.items():
        print(
            f"  {code:<24} {s['precision']:6.3f} {s['recall']:6.3f} {s['f1']:6.3f} {s['tp']:4} {s['fp']:4} {s['fn']:4}"
        )


def classifier_predict(classifier: Classifier) -> Callable[[dict], set[str]]:
    return lambda row: {t["code"] for t in classifier.classify(ClassifyInput.from_json(row))["themes"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devset", type=Path, default=DEVSET)
    parser.add_argument("--errors", action="store_true", help="list false positives and negatives")
    args = parser.parse_args()
    rows = load(args.devset)
    classifier = Classifier()
    predict = classifier_predict(classifier)
    print(
        f"development set: {len(rows)} notices, {sum(1 for r in rows if r['labels'])} with a theme; "
        f"taxonomy {classifier.version}"
    )
    report(evaluate(rows, predict), "classifier")
    if args.errors:
        for row in rows:
            gold, pred = set(row["labels"]), predict(row)
            if gold != pred:
                print(f"  {row['id']}: gold={sorted(gold)} pred={sorted(pred)} | {row['title'][:110]}")


if __name__ == "__main__":
    main()
