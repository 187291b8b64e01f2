"""Linking upcoming purchases to their calls at scale (archive.upcoming.find_links).

    .venv/bin/python bench/upcoming.py [--upcoming 5000] [--calls 100000]

Calls are built from the real titles, buyers, SIRETs and CPV codes of the recorded BOAMP fortnight
(data/recorded/boamp), spread over two years; upcoming purchases are half APProch-like (a SIREN) and half
PIN-like (a buyer name only), each taken from a call with its title shortened and its date moved before it,
so about half have a call to find. Measured in one run: the indexed linker, and the all-pairs baseline
(every upcoming purchase scored against every call: timed on the first 100 purchases and scaled). The issue
names no target; the figure says whether the link job can run at every cycle.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive.procedures import normalise_text  # noqa: E402
from archive.upcoming import _Calls, _Notice, find_links, score, title_words  # noqa: E402
from notices.boamp import parse_record  # noqa: E402
from replay.boamp import api_shape  # noqa: E402


def corpus() -> list:
    path = ROOT / "data" / "recorded" / "boamp" / "flat_records_2024-02.jsonl"
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            n = parse_record(api_shape(json.loads(line)))
        except ValueError:
            continue
        if n.kind == "contract_notice" and n.title:
            out.append(n)
    return out


def build(n_up: int, n_calls: int, rng: random.Random) -> list[_Notice]:
    real = corpus()
    start = date(2025, 1, 1)
    calls = []
    for i in range(n_calls):
        n = real[i % len(real)]
        siret = n.buyer.siret if i < len(real) else None if rng.random() < 0.3 else f"{rng.randrange(10**13):014d}"
        calls.append(
            _Notice(("boamp", f"C{i}"), "contract_notice", "initial", start + timedelta(days=rng.randrange(730)),
                    None, n.title, title_words(n.title), normalise_text(n.buyer.name), (siret or "")[:9] or None,
                    list(n.cpv), None)
        )  # fmt: skip
    ups = []
    for i in range(n_up):
        c = calls[rng.randrange(len(calls))]
        words = c.title.split()
        title = " ".join(words[: max(3, len(words) // 2)])
        siren = c.siren if i % 2 == 0 else None
        ups.append(
            _Notice(("approch", f"U{i}"), "prior_information", "initial", c.published - timedelta(days=60),
                    c.published - timedelta(days=rng.randrange(-20, 40)), title, title_words(title), c.buyer, siren,
                    c.cpv[:1], None)
        )  # fmt: skip
    return ups + calls


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--upcoming", type=int, default=5000)
    parser.add_argument("--calls", type=int, default=100_000)
    args = parser.parse_args()
    notices = build(args.upcoming, args.calls, random.Random(18))
    t = time.perf_counter()
    links = find_links(notices)
    indexed = time.perf_counter() - t
    print(f"indexed linker: {args.upcoming:,} upcoming x {args.calls:,} calls: {indexed:.2f} s, {len(links):,} linked")
    ups = [n for n in notices if n.kind == "prior_information"][:100]
    calls = _Calls([n for n in notices if n.kind == "contract_notice"]).all
    t = time.perf_counter()
    for up in ups:
        for call in calls:
            score(up, call)
    pairs = (time.perf_counter() - t) * args.upcoming / len(ups)
    same = find_links(ups + calls)  # the same 100 through the index: the baseline finds no other link
    best = {}
    for up in ups:
        scored = [(s, c.key) for c in calls if (s := score(up, c)) is not None]
        if scored:
            best[up.key] = max(scored)[0]
    assert set(best) == set(same), "the index lost a link"
    print(f"all-pairs baseline (100 scored, scaled): {pairs:.1f} s; indexed is {pairs / indexed:.0f}x faster")


if __name__ == "__main__":
    main()
