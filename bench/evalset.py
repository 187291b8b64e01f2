"""Build the blind, double-labelled evaluation set of the theme classifier (tests/classify/evalset/).

    python bench/evalset.py draw        # random notices (fixed seed) -> batches/ for the labellers
    python bench/evalset.py draw2       # a second random draw among the notices not drawn yet (batches 13-20)
    python bench/evalset.py draw3       # every notice left (batches 21-28): the whole corpus is then labelled
    python bench/evalset.py merge       # two passes -> agreement rate, disagreements -> batches/adjudicate_*.jsonl
    python bench/evalset.py finalize    # passes + adjudication -> evalset.jsonl with its tuning / test split

The labellers (independent helper sessions) see only THEMES.md, READINGS.md and a batch: never the classifier or
its output. Each notice is labelled in two passes by different labellers; a third pass settles disagreements.
The split into a tuning part (two thirds) and a locked test part (one third) is drawn once, by seed.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from classify.taxonomy import THEME_CODES  # noqa: E402

CORPORA = ROOT / "tests" / "fixtures" / "classify"
HERE = ROOT / "tests" / "classify" / "evalset"
BATCHES = HERE / "batches"
LABELS = HERE / "labels"
THEMES = list(THEME_CODES)
SEED = 20261201
SIZE = 3600
BATCH = 300
SPLIT_SEED = 7


def _list(value: object) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str) and value.startswith("["):
        import ast

        return [str(v) for v in ast.literal_eval(value)]
    return []


def corpus() -> list[dict]:
    """Every distinct notice of the two BOAMP corpora, as the labellers and the classifier see it."""
    seen: dict[str, dict] = {}
    for name in ("flat_records_2024-02", "lite_records_2017-2024"):
        for line in (CORPORA / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            key = record["idweb"]
            if key in seen or not (record.get("objet") or "").strip():
                continue
            row = {"id": key, "title": record["objet"].strip(), "buyer": record.get("nomacheteur") or ""}
            descriptors = _list(record.get("descripteur_libelle"))
            if descriptors:
                row["descriptors"] = descriptors
                row["descriptor_codes"] = _list(record.get("descripteur_code"))
            row["corpus"] = name
            seen[key] = row
    return [seen[k] for k in sorted(seen)]


def write_batches(sample: list[dict], name: str, first: int) -> None:
    """The labellers' batches (what THEMES.md says to judge from, nothing else) and the sample behind them."""
    for i in range(0, len(sample), BATCH):
        path = BATCHES / f"batch_{first + i // BATCH:02d}.jsonl"
        with path.open("w", encoding="utf-8") as out:
            for row in sample[i : i + BATCH]:
                shown = {k: row[k] for k in ("id", "title", "buyer", "descriptors") if k in row}
                out.write(json.dumps(shown, ensure_ascii=False) + "\n")
    (HERE / name).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in sample), "utf-8")


def draw() -> None:
    rows = corpus()
    sample = random.Random(SEED).sample(rows, SIZE)
    write_batches(sample, "sample.jsonl", 1)
    print(f"{len(rows)} distinct notices; drew {SIZE} (seed {SEED}) into {SIZE // BATCH} batches of {BATCH}")


SEED2 = 20261202
SIZE2 = 2400


def draw2() -> None:
    """More notices, drawn at random among those not drawn yet, labelled the same way and split the same way
    (a third to the locked test): more tuning data, and a larger locked test, with no notice seen twice."""
    first = {json.loads(line)["id"] for line in (HERE / "sample.jsonl").read_text("utf-8").splitlines()}
    rest = [r for r in corpus() if r["id"] not in first]
    sample = random.Random(SEED2).sample(rest, SIZE2)
    write_batches(sample, "sample2.jsonl", SIZE // BATCH + 1)
    print(f"{len(rest)} notices not drawn yet; drew {SIZE2} (seed {SEED2}) into {SIZE2 // BATCH} batches")


def draw3() -> None:
    """Every notice not drawn yet, in random order (seed SEED3): the two corpora are then labelled whole."""
    drawn = {row["id"] for part in samples() for row in part}
    rest = [r for r in corpus() if r["id"] not in drawn]
    random.Random(SEED3).shuffle(rest)
    write_batches(rest, "sample3.jsonl", (SIZE + SIZE2) // BATCH + 1)
    print(f"the {len(rest)} notices left, shuffled (seed {SEED3}), in {-(-len(rest) // BATCH)} batches")


SEED3 = 20261203


def samples() -> list[list[dict]]:
    out = []
    for name in ("sample.jsonl", "sample2.jsonl", "sample3.jsonl"):
        path = HERE / name
        if path.exists():
            out.append([json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()])
    return out


def read_pass(name: str) -> dict[str, frozenset[str]]:
    """Labels of one pass: lines `id<TAB>theme,theme` (empty after the tab for no theme)."""
    out: dict[str, frozenset[str]] = {}
    for path in sorted(LABELS.glob(f"{name}_*.tsv")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            key, _, themes = line.partition("\t")
            codes = frozenset(t.strip() for t in themes.split(",") if t.strip())
            unknown = codes - set(THEMES)
            if unknown:
                raise SystemExit(f"{path.name}:{n}: unknown theme(s) {sorted(unknown)}")
            out[key.strip()] = codes
    return out


def merge() -> None:
    sample = [row for part in samples() for row in part]
    a, b = read_pass("A"), read_pass("B")
    ids = [r["id"] for r in sample]
    missing = [k for k in ids if k not in a or k not in b]  # a pass not finished yet
    agree = sum(1 for k in ids if k in a and k in b and a[k] == b[k])
    both = [k for k in ids if k in a and k in b]
    print(f"pass A {len(a)}, pass B {len(b)}, missing in one pass {len(missing)}")
    print(f"notice-level agreement {agree}/{len(both)} = {agree / max(len(both), 1):.3f}")
    pairs = Counter()
    for k in both:
        for t in THEMES:
            pairs[(t in a[k], t in b[k])] += 1
    pos = pairs[(True, True)]
    print(
        f"theme-level: both {pos}, only A {pairs[(True, False)]}, only B {pairs[(False, True)]}; "
        f"positive agreement {2 * pos / max(2 * pos + pairs[(True, False)] + pairs[(False, True)], 1):.3f}"
    )
    rows = {r["id"]: r for r in sample}
    queued = set()
    for old in BATCHES.glob("adjudicate_*.jsonl"):  # notices already sent to the third pass
        queued.update(json.loads(line)["id"] for line in old.read_text("utf-8").splitlines() if line.strip())
    todo = [k for k in ids if k in a and k in b and a[k] != b[k] and k not in queued]
    rounds = {p.name.split("_")[1] for p in BATCHES.glob("adjudicate_r*.jsonl")}
    label = f"r{len(rounds) + 1}"
    chunk = 200
    for i in range(0, len(todo), chunk):
        path = BATCHES / f"adjudicate_{label}_{i // chunk + 1:02d}.jsonl"
        with path.open("w", encoding="utf-8") as out:
            for k in todo[i : i + chunk]:
                row = rows[k]
                shown = {x: row[x] for x in ("id", "title", "buyer", "descriptors") if x in row}
                readings = {",".join(sorted(p.get(k, ()))) or "-" for p in (a, b)}
                shown["readings"] = sorted(readings)
                out.write(json.dumps(shown, ensure_ascii=False) + "\n")
    print(f"{len(todo)} new notices to adjudicate ({len(queued)} queued before)")


def finalize() -> None:
    drawn = samples()
    a, b, c = read_pass("A"), read_pass("B"), read_pass("C")
    test_ids: set[str] = set()
    for n, part in enumerate(drawn):  # each draw split on its own, a third to the locked test
        order = list(range(len(part)))
        random.Random(SPLIT_SEED + n).shuffle(order)
        test_ids |= {part[i]["id"] for i in order[: len(part) // 3]}
    sample = [row for part in drawn for row in part]
    out_rows, unsettled = [], 0
    for row in sample:
        k = row["id"]
        if k in a and k in b and a[k] == b[k]:
            labels = a[k]
        elif k in c:
            labels = c[k]
        else:
            unsettled += 1
            continue
        out_rows.append({**row, "labels": sorted(labels), "part": "test" if k in test_ids else "tuning"})
    (HERE.parent / "evalset.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in out_rows), "utf-8"
    )
    parts = Counter(r["part"] for r in out_rows)
    print(f"evalset: {len(out_rows)} notices ({dict(parts)}), {unsettled} unsettled left out")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=["draw", "draw2", "draw3", "merge", "finalize"])
    {"draw": draw, "draw2": draw2, "draw3": draw3, "merge": merge, "finalize": finalize}[parser.parse_args().step]()


if __name__ == "__main__":
    main()
