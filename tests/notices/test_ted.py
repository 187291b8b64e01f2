"""TED Search API value shapes, normalised on the recorded responses."""

from __future__ import annotations

import json
from datetime import date

from conftest import FIXTURES

from notices.ted import i18n, parse_search_notice, publication_number, scalar

EXCERPT = json.loads((FIXTURES / "ted" / "mattahr_ha-edp-radar__real_notices.EXCERPT.json").read_text())
BY_NUMBER = {n["publication-number"]: n for n in EXCERPT}


def test_publication_numbers_lose_their_padding() -> None:
    assert publication_number("00172531-2026") == "172531-2026"
    assert publication_number("626146-2026") == "626146-2026"


def test_multilingual_values_prefer_french_then_english_then_any() -> None:
    assert i18n({"deu": "Titel", "eng": "Title", "fra": "Titre"}) == "Titre"
    assert i18n({"deu": "Titel", "eng": ["Title"]}) == "Title"
    assert i18n({"dan": ["Element Logic Denmark A/S"]}) == "Element Logic Denmark A/S"
    assert scalar(["16"]) == "16" and scalar({"value": "cn-standard"}) == "cn-standard"


def test_french_contract_notice_with_lot_arrays() -> None:
    n = parse_search_notice(BY_NUMBER["626146-2026"])
    assert (n.source, n.source_id, n.kind, n.status) == ("ted", "626146-2026", "contract_notice", "initial")
    assert n.title.startswith("Approvisionnement en pains")
    assert n.buyer.name == "PFC Est" and n.buyer.siret == "13001535700010"
    assert n.published == date(2026, 9, 11)
    assert n.cpv == ["15811000"]  # repeated per lot in the response, once here
    assert n.value == 171312 + 228631.2 + 247065.6 and n.currency == "EUR"  # strings summed, one currency
    assert n.deadline.isoformat() == "2026-10-12T23:59:59+02:00"  # a date without time: end of that day
    assert n.lots == []  # per-lot arrays are not aligned: lots come from the XML only


def test_change_notice_and_award_links() -> None:
    change = parse_search_notice(BY_NUMBER["626569-2026"])
    assert change.status == "corrigendum"
    assert change.previous_ids == ["34df3207-fe17-4373-8949-dfd61012592e-01"]
    award = parse_search_notice(BY_NUMBER["626136-2026"])
    assert award.kind == "award" and award.previous_ids == ["995d8f0e-bd50-4865-8c8c-82540831f454-01"]
    assert [a.winner for a in award.awards] == ["Element Logic Denmark A/S"]
    assert award.value == 85_000_000 and award.currency == "DKK"


def test_withheld_values_are_none() -> None:
    api = dict(BY_NUMBER["626146-2026"])
    api["estimated-value-lot"] = ["-1", "-1", "-1"]
    assert parse_search_notice(api).value is None


def test_minimal_record_from_the_legacy_envelope() -> None:
    env = json.loads((FIXTURES / "ted" / "op-ted_ted-rdf-conversion-pipeline__ted_api_response.json").read_text())
    n = parse_search_notice(env["notices"][0])
    assert n.source_id == "67623-2022"
    assert n.published == date(2022, 2, 7)  # "2022-02-06T23:00:00Z" is the 7th in Brussels and Paris


def test_every_requested_field_is_in_the_api_enum() -> None:
    """Unknown field names make the live API answer 400; the social fields are asked by their real names."""
    from notices.ted import FIELDS

    enum = set((FIXTURES / "ted" / "search-api-v3-fields-enum.txt").read_text().split())
    assert [f for f in FIELDS if f not in enum] == []
    assert {
        "reserved-procurement-lot",
        "reserved-execution-lot",
        "strategic-procurement-lot",
        "social-objective-lot",
        "term-performance-lot",
    } <= set(FIELDS)
    assert 250 * len(FIELDS) <= 10_000
