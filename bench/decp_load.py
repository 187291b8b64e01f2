"""DECP load benchmark: a year of national volume (150,000 contracts, real rows re-keyed) read and archived.

The 9 real rows of the flattened 2024 CSV (data/recorded/decp/) are repeated with a unique id each (every
other value stays real), written as one CSV file. Each phase runs in its own process (peak RSS is that
process's own): the DECP reader alone (notices.decp.read_contracts), the reader + the archive
(`contracts load`'s code: watch.files.load_contract_files, hash-based upsert of contracts, holders,
modifications and raw records), and, as the floor, the same file read and its amounts summed with the
standard library alone (csv.DictReader + float).

    .venv/bin/python bench/decp_load.py [--contracts 150000]
"""

from __future__ import annotations

import argparse
import csv
import io
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SAMPLE = ROOT / "data" / "recorded" / "decp" / "decp_v3_2024_9rows_decp-processing.csv"


def build(path: Path, count: int) -> None:
    text = SAMPLE.read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.DictWriter(out, rows[0].keys(), delimiter=";")
        writer.writeheader()
        for i in range(count):
            row = dict(rows[i % len(rows)])
            row["id"] = f"R{i:07d}-{row['id']}"
            writer.writerow(row)


def phase(name: str, path: Path, db: Path) -> None:
    """One measured phase, in this (child) process: prints seconds and count."""
    started = time.perf_counter()
    if name == "floor":
        total, count = 0.0, 0
        with path.open(encoding="utf-8-sig", newline="") as f:
            for row in csv.DictReader(f, delimiter=";"):
                total += float(row["montant"])  # every re-keyed row holds a real, readable amount
                count += 1
    elif name == "read":
        from notices.decp import read_contracts

        with path.open("rb") as f:
            count = sum(1 for _ in read_contracts(f))
    else:
        from archive.db import open_db
        from watch.files import load_contract_files

        with open_db(db) as archive:
            result = load_contract_files(archive, [path])
            count = archive.execute("select count(*) from contracts").fetchone()[0]
            assert not result.errors, result.errors
    print(f"{time.perf_counter() - started:.3f} {count}")


def measure(name: str, path: Path, db: Path) -> tuple[float, int, float]:
    proc = subprocess.run(
        [sys.executable, __file__, "--phase", name, str(path), str(db)], capture_output=True, text=True, check=True
    )
    seconds, count = proc.stdout.split()
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the largest child so far
    return float(seconds), int(count), peak_mb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contracts", type=int, default=150_000)
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("paths", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        phase(args.phase, Path(args.paths[0]), Path(args.paths[1]))
        return
    with tempfile.TemporaryDirectory(prefix="bench-decp-") as tmp:
        work = Path(tmp)
        path = work / "decp.csv"
        build(path, args.contracts)
        size_mb = path.stat().st_size / 1e6
        print(f"{args.contracts:,} contracts re-keyed from {SAMPLE.name} ({size_mb:,.0f} MB of CSV)")
        results = {}
        for name in ("floor", "read", "load"):  # the floor first: the peak of each later phase is its own max
            results[name] = measure(name, path, work / "bench.db")
    floor = results["floor"][0]
    labels = {
        "floor": "floor: csv.DictReader + float, standard library",
        "read": "DECP reader (notices.decp) to Contract",
        "load": "reader + archive (contracts load)",
    }
    for name, (seconds, count, peak) in results.items():
        rate = count / seconds if seconds else 0
        print(
            f"{labels[name]:<48} {seconds:7.2f} s  {rate:9,.0f} contracts/s  {seconds / floor:5.1f}x floor"
            f"  peak RSS <= {peak:,.0f} MB"
        )
    print(f"archived: {results['load'][1]:,} contracts")


if __name__ == "__main__":
    main()
