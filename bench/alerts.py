"""Alert matching and rendering at scale: 10,000 subscribers x 5,000 new tenders.

    .venv/bin/python bench/alerts.py [--subscribers 10000] [--items 5000]

Items are built from the 8,398 real BOAMP corpus titles, classified by the real classifier, each given
a département and a deadline; subscribers get random but plausible profiles (1-3 themes, sometimes a
keyword, 1-4 départements or a region, 10 % national). Measured in one run: matching through the indexes,
matching by the naive all-pairs loop (every condition for every item and subscriber, timed on the first
1,000 subscribers and scaled; checked to give the same result), and rendering the digests (HTML + text
e-mail) of the subscribers who matched.

Targets (issue 5): matching at least 20x faster than all-pairs, at least 200 digests rendered per second.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from alerts import geo  # noqa: E402
from alerts.items import Item  # noqa: E402
from alerts.matching import AlertIndex, match_all_pairs  # noqa: E402
from alerts.render import DigestRenderer  # noqa: E402
from alerts.subscribers import Subscriber  # noqa: E402
from alerts.tokens import Signer  # noqa: E402
from classify.engine import Classifier, ClassifyInput  # noqa: E402
from classify.taxonomy import THEME_CODES  # noqa: E402
from classify.text import tokens  # noqa: E402

NOW_UTC, NOW_DAY = "2026-03-01T08:00:00Z", "2026-03-01"
KEYWORDS = ["nettoyage", "espaces verts", "transport", "repas", "formation", "voirie", "maintenance"]


def build_items(n: int, rng: random.Random) -> list[Item]:
    classifier = Classifier()
    rows = []
    for f in sorted((ROOT / "tests" / "fixtures" / "classify").glob("*.jsonl")):
        rows += [json.loads(line) for line in f.read_text(encoding="utf-8").splitlines()]
    deps = sorted(geo.DEPARTEMENTS)
    items = []
    for i in range(n):
        r = rows[i % len(rows)]
        result = classifier.classify(ClassifyInput(id=r["idweb"], title=r["objet"], buyer=r.get("nomacheteur")))
        day = 2 + i % 27
        items.append(
            Item(
                procedure_id=f"p{i}",
                state="open",
                title=r["objet"],
                buyer=r.get("nomacheteur"),
                place=None,
                departements=[rng.choice(deps)],
                deadline=f"2026-03-{day:02d}T12:00:00+01:00",
                deadline_utc=f"2026-03-{day:02d}T11:00:00Z",
                value=rng.choice([None, 40_000.0, 150_000.0, 900_000.0]),
                currency="EUR",
                url=f"https://www.boamp.fr/pages/avis/?q=idweb:{r['idweb']}",
                sources=["boamp"],
                kinds={"contract_notice"},
                first_published=NOW_DAY,
                last_published=NOW_DAY,
                updated_at="2026-03-01T07:00:00+00:00",
                themes={t["code"]: {"score": t["score"], "evidence": t["evidence"]} for t in result["themes"]},
                reserved_contract=False,
                reserved_kinds=[],
                insertion_clause=False,
                social_criterion=False,
                event=None,
                description=None,
                notices=1,
                last_notice=f"boamp:{r['idweb']}",
                last_status="initial",
                words=tokens(r["objet"]).keys,
            )
        )
    return items


def build_subscribers(n: int, rng: random.Random) -> list[Subscriber]:
    deps, regions = sorted(geo.DEPARTEMENTS), sorted(geo.REGIONS)
    subs = []
    for i in range(n):
        national = rng.random() < 0.1
        subs.append(
            Subscriber(
                id=i + 1,
                name=f"Structure {i}",
                emails=[f"contact{i}@example.org"],
                kind="EA",
                themes=rng.sample(THEME_CODES, rng.randint(1, 3)),
                departements=[] if national else rng.sample(deps, rng.randint(1, 4)),
                regions=[rng.choice(regions)] if not national and rng.random() < 0.2 else [],
                national=national,
                keywords=[rng.choice(KEYWORDS)] if rng.random() < 0.3 else [],
                value_max=rng.choice([None, None, 200_000.0]),
                notice_kinds=["upcoming", "open"],
                frequency="daily",
            )
        )
    return subs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--items", type=int, default=5_000)
    parser.add_argument("--naive-sample", type=int, default=1_000, help="subscribers timed with the naive loop")
    args = parser.parse_args()
    rng = random.Random(2026)
    print(f"building {args.items:,} classified items and {args.subscribers:,} subscribers ...")
    items = build_items(args.items, rng)
    subs = build_subscribers(args.subscribers, rng)

    started = time.perf_counter()
    index = AlertIndex(items)
    built = time.perf_counter() - started
    started = time.perf_counter()
    indexed = {s.id: index.match(s, {}, NOW_UTC, NOW_DAY) for s in subs}
    t_index = time.perf_counter() - started
    sample = subs[: args.naive_sample]
    started = time.perf_counter()
    naive = {s.id: match_all_pairs(items, s, {}, NOW_UTC, NOW_DAY) for s in sample}
    t_naive = (time.perf_counter() - started) * len(subs) / len(sample)
    same = all([m.item.procedure_id for m in indexed[k]] == [m.item.procedure_id for m in naive[k]] for k in naive)
    matched = [s for s in subs if indexed[s.id]]
    pairs = sum(len(v) for v in indexed.values())
    print(
        f"matching with indexes: {t_index:6.2f} s (+ {built:.2f} s to index)  {pairs:,} matches, "
        f"{len(matched):,} subscribers with a digest"
    )
    print(
        f"matching all pairs:    {t_naive:6.2f} s  ({args.subscribers * args.items:,} pairs; measured on the first "
        f"{len(sample):,} subscribers, scaled)  same result: {same}"
    )
    speedup = t_naive / (t_index + built)
    print(f"speed-up: {speedup:,.1f}x")

    renderer = DigestRenderer(
        sender="Veille ESS <veille@example.org>",
        public_url="https://veille.example.org",
        unsubscribe_mailto="desabonnement@example.org",
        signer=Signer(b"bench"),
        theme_labels={c: c for c in THEME_CODES},
        max_items=25,
    )
    started = time.perf_counter()
    size = 0
    for s in matched:
        size += len(renderer.message(s, indexed[s.id]).as_bytes())
    t_render = time.perf_counter() - started
    rate = len(matched) / t_render if t_render else float("inf")
    print(
        f"rendering: {len(matched):,} digests in {t_render:6.2f} s  {rate:8,.0f} digests/s  "
        f"({size / max(1, len(matched)) / 1024:.0f} KiB each on average)"
    )
    ok = speedup >= 20 and rate >= 200 and same
    print(f"targets (matching >= 20x all-pairs, >= 200 digests/s, same matches): {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
