"""The indexed matcher gives exactly what the all-pairs loop gives, and respects each condition."""

from __future__ import annotations

import random

from alerts.items import Item
from alerts.matching import AlertIndex, change_of, match_all_pairs
from alerts.subscribers import Subscriber
from classify.taxonomy import THEME_CODES
from classify.text import tokens

NOW_UTC, NOW_DAY = "2026-03-01T08:00:00Z", "2026-03-01"
TITLES = [
    "Nettoyage des locaux",
    "Fourniture de repas",
    "Transport de personnes",
    "Travaux de voirie",
    "Formation des agents",
    "Gardiennage du site",
    "Location de tentes",
]


def item(i: int, rng: random.Random, **over) -> Item:
    title = rng.choice(TITLES)
    fields = dict(
        procedure_id=f"p{i}",
        state="open",
        title=title,
        buyer="Ville",
        place=None,
        departements=[rng.choice(["38", "69", "75", "93", "2A"])],
        deadline=None,
        deadline_utc=rng.choice(["2026-02-01T10:00:00Z", "2026-03-20T10:00:00Z", None]),
        value=rng.choice([None, 50_000.0, 500_000.0]),
        currency="EUR",
        url="u",
        sources=["boamp"],
        kinds={rng.choice(["contract_notice", "prior_information", "award"])},
        first_published="2026-02-20",
        last_published=rng.choice(["2026-02-20", "2025-10-01"]),
        updated_at="x",
        themes={c: {"score": 1, "evidence": []} for c in rng.sample(THEME_CODES, rng.randint(0, 2))},
        reserved_contract=False,
        reserved_kinds=[],
        insertion_clause=False,
        social_criterion=False,
        event=None,
        description=None,
        notices=1,
        last_notice=f"boamp:{i}",
        last_status="initial",
        words=tokens(title).keys,
    )
    fields.update(over)
    return Item(**fields)


def test_index_equals_all_pairs_on_random_profiles() -> None:
    rng = random.Random(7)
    items = [item(i, rng) for i in range(400)]
    index = AlertIndex(items)
    for n in range(200):
        sub = Subscriber(
            id=n,
            name=str(n),
            emails=["a@b.org"],
            themes=rng.sample(THEME_CODES, rng.randint(0, 3)),
            departements=rng.sample(["38", "69", "75", "93", "2A", "13"], rng.randint(0, 2)),
            national=rng.random() < 0.2,
            keywords=rng.sample(["repas", "voirie", "tentes"], rng.randint(0, 1)),
            exclude_keywords=rng.sample(["nettoyage", "agents"], rng.randint(0, 1)),
            value_max=rng.choice([None, 100_000.0]),
            notice_kinds=rng.sample(["upcoming", "open", "awards"], 2),
        )
        sent = {f"p{i}": "open|x|y|1" for i in rng.sample(range(400), 20)}
        got = [(m.item.procedure_id, m.change) for m in index.match(sub, sent, NOW_UTC, NOW_DAY)]
        assert got == [(m.item.procedure_id, m.change) for m in match_all_pairs(items, sub, sent, NOW_UTC, NOW_DAY)]


def test_changes_are_named() -> None:
    rng = random.Random(1)
    it = item(1, rng, state="open", deadline_utc="2026-03-20T10:00:00Z")
    assert change_of(it, None) == "new" and change_of(it, it.signature) is None
    assert change_of(item(1, rng, state="cancelled"), it.signature) == "cancelled"
    assert change_of(item(1, rng, state="awarded"), it.signature) == "awarded"
    assert change_of(item(1, rng, state="open", deadline_utc="2026-04-01T10:00:00Z"), it.signature) == "deadline"
