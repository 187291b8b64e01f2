"""Classifier speed on the BOAMP corpus, against a naive fuzzy baseline measured in the same run.

    .venv/bin/python bench/classify.py [--baseline-sample 300]

Notices: the 8,398 real titles of the two BOAMP corpora (tests/fixtures/classify/*.jsonl), each given a
real description taken in turn from the recorded BOAMP and TED notices, so every notice has title +
description (what the target names). One core, one process. The classifier runs twice: cold (its fuzzy
memo empty) and warm.

Baseline: rapidfuzz `partial_ratio` of every taxonomy phrase against every text (title and description,
normalised the same way), a theme assigned when any of its phrases scores at least 90. Its speed is
measured on a sample; its F1 on the locked test part of the evaluation set, next to the classifier's.

Targets (issues 4 and 11): >= 10,000 notices/s, >= 50x the baseline's speed, F1 above the baseline's.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rapidfuzz import fuzz  # noqa: E402

from bench.classify_eval import EVALSET, evaluate, load  # noqa: E402
from classify.engine import Classifier, ClassifyInput  # noqa: E402
from classify.text import tokens  # noqa: E402
from notices.boamp import parse_record  # noqa: E402
from notices.eforms_xml import tree_from_xml  # noqa: E402
from notices.model import Notice  # noqa: E402

CORPUS = ROOT / "tests" / "fixtures" / "classify"


def corpus() -> list[ClassifyInput]:
    descriptions = []
    for f in sorted((ROOT / "data" / "recorded" / "boamp").glob("*.json")):
        for r in json.loads(f.read_text(encoding="utf-8"))["results"]:
            n = parse_record(r)
            if n.description:
                descriptions.append(n.description)
    from notices import eforms

    for f in sorted((ROOT / "data" / "recorded" / "ted").glob("*.xml")):
        n = eforms.fill(Notice("ted", f.stem), tree_from_xml(f.read_bytes()))
        if n.description:
            descriptions.append(n.description)
    docs = []
    for f in sorted(CORPUS.glob("*.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines():
            r = json.loads(line)
            docs.append(
                ClassifyInput(
                    id=r["idweb"],
                    title=r.get("objet"),
                    buyer=r.get("nomacheteur"),
                    description=descriptions[len(docs) % len(descriptions)],
                )
            )
    return docs


class NaiveBaseline:
    def __init__(self, classifier: Classifier, cutoff: float = 90.0):
        self.phrases = [(theme.code, " ".join(p.key)) for theme in classifier.taxonomy.themes for p in theme.phrases]
        self.cutoff = cutoff

    def predict(self, texts: list[str | None]) -> set[str]:
        found = set()
        for text in texts:
            norm = " ".join(tokens(text).keys)
            if not norm:
                continue
            for code, phrase in self.phrases:
                if fuzz.partial_ratio(phrase, norm) >= self.cutoff:
                    found.add(code)
        return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline-sample", type=int, default=300)
    args = parser.parse_args()
    docs = corpus()
    avg = sum(len(d.title or "") + len(d.description or "") for d in docs) / len(docs)
    print(f"corpus: {len(docs):,} notices (title + description, {avg:,.0f} characters on average), one core")

    classifier = Classifier()
    rates = []
    for label in ("cold", "warm"):
        started = time.perf_counter()
        for d in docs:
            classifier.classify(d)
        elapsed = time.perf_counter() - started
        rates.append(len(docs) / elapsed)
        print(f"classifier ({label}): {elapsed:6.2f} s  {len(docs) / elapsed:10,.0f} notices/s")

    baseline = NaiveBaseline(classifier)
    sample = docs[: args.baseline_sample]
    started = time.perf_counter()
    for d in sample:
        baseline.predict([d.title, d.description])
    b_elapsed = time.perf_counter() - started
    b_rate = len(sample) / b_elapsed
    print(
        f"naive baseline ({len(baseline.phrases)} phrases x every text, partial_ratio >= 90, {len(sample)} notices): "
        f"{b_elapsed:6.2f} s  {b_rate:10,.1f} notices/s"
    )
    print(f"speed-up (warm classifier / baseline): {rates[1] / b_rate:,.0f}x")

    rows = [r for r in load(EVALSET) if r["part"] == "test"]
    ours = evaluate(rows, lambda r: {t["code"] for t in classifier.classify(ClassifyInput.from_json(r))["themes"]})
    naive = evaluate(rows, lambda r: baseline.predict([r.get("title")]))
    print(
        f"evaluation set, locked test part ({len(rows)} notices): micro-F1 classifier {ours['micro']['f1']:.3f} "
        f"(P {ours['micro']['precision']:.3f}, R {ours['micro']['recall']:.3f}); baseline {naive['micro']['f1']:.3f} "
        f"(P {naive['micro']['precision']:.3f}, R {naive['micro']['recall']:.3f})"
    )
    ok = rates[1] >= 10_000 and rates[1] / b_rate >= 50 and ours["micro"]["f1"] > naive["micro"]["f1"]
    print(f"targets (>= 10,000 notices/s, >= 50x baseline, F1 above baseline): {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
