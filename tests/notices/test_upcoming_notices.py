"""Upcoming purchases as notices: APProch projects (the real token-API example, and open-data records built from
the documented columns with its values) and the recorded prior-information notices (TED eForms, BOAMP)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from conftest import FIXTURES

from notices import eforms
from notices.approch import band_range, departements, load_record, parse_record, siren
from notices.boamp import parse_record as parse_boamp
from notices.checks import RecordError, check
from notices.eforms_xml import tree_from_xml
from notices.model import Notice

APPROCH = FIXTURES / "approch"


def token_example() -> tuple[dict, str]:
    raw = (APPROCH / "api_marche_approch_example.txt").read_text(encoding="utf-8")
    return load_record(raw), raw


def open_data_record(**changes: object) -> dict:
    (record,) = json.loads((APPROCH / "projets-dachats-publics.json").read_text(encoding="utf-8"))
    return {**record, **changes}


def eforms_notice(path: Path, source_id: str) -> Notice:
    return check(eforms.fill(Notice("ted", source_id), tree_from_xml(path.read_bytes())))


def test_the_token_api_example_is_an_upcoming_purchase() -> None:
    record, raw = token_example()  # a Python-dict repr: single quotes, None, True
    n = check(parse_record(record, raw))
    assert (n.source, n.source_id, n.kind) == ("approch", "13929", "prior_information")
    assert n.title == "MAINTENANCE SSI" and n.buyer.name == "Ville de Paris" and n.buyer.siret == "217500016"
    # midnight in Paris stored as 22:00 UTC the day before: the 19th, not the 18th
    assert n.expected_publication == date(2023, 10, 19)
    assert n.cpv == []  # CPVPrimary 198395 is APProch's internal id, not a CPV code
    assert n.departements == ["29"] and n.contract_type == "works" and n.value == 100_000
    assert n.deadline is None and "31 janvier 2024" in n.notes  # the target date for offers is not a deadline
    assert n.url == "https://recette-portail-entreprises.fr/project/13929/main" and n.raw == raw


def test_an_open_data_record_keeps_the_band_and_pads_the_siren() -> None:
    n = check(parse_record(open_data_record()))
    assert n.source_id == "13929" and n.buyer.siret == "217500016" and n.buyer.name == "Ville de Paris"
    assert n.value is None and n.value_band == "100k - 500k€"  # a band: no invented figure
    assert n.expected_publication == date(2023, 10, 19) and n.departements == ["29"]
    assert n.social == []  # considerations "Non"


def test_open_data_field_variants() -> None:
    n = check(
        parse_record(
            open_data_record(
                code=4521,
                siren_de_l_entite_acheteuse=1234567,
                code_s_cpv="90910000|90911200-8",
                departement_s_d_execution_du_marche="1|2A|974",
                considerations_sociales="Oui",
                statut="Abandonné",
            )
        )
    )
    assert n.source_id == "4521" and n.buyer.siret == "001234567"
    assert n.cpv == ["90910000", "90911200"] and n.departements == ["01", "2A", "974"]
    assert [s.signal for s in n.social] == ["social_objective"] and n.status == "cancellation"
    assert departements("tous") == ([], True) and departements("CDL") == ([], False)
    assert check(parse_record(open_data_record(departement_s_d_execution_du_marche="tous"))).place == "France entière"
    assert siren("12345678901") is None and siren(None) is None


def test_bands() -> None:
    assert band_range("1M - 5M€") == (1e6, 5e6) and band_range("100k - 500k€") == (1e5, 5e5)
    assert band_range("> 5M€") == (5e6, None) and band_range("n/a") == (None, None)


def test_a_record_without_code_is_refused() -> None:
    with pytest.raises(RecordError, match="no project code"):
        parse_record(open_data_record(code=None))
    with pytest.raises(RecordError):
        load_record("{'not': closed")


def test_a_pin_only_gives_its_expected_publication() -> None:
    n = eforms_notice(FIXTURES / "ted" / "pin-only_81_FRA.xml", "pin-only")
    assert n.kind == "prior_information" and n.expected_publication == date(2021, 5, 7)  # BT-127 PlannedDate
    assert n.deadline is None


def test_a_pin_used_as_call_for_competition_has_an_interest_deadline() -> None:
    """pin-cfc-standard: the buyer will invite only those who expressed interest by 13 May 2024 at noon."""
    n = eforms_notice(FIXTURES / "upcoming" / "2024-OJS074-00219998.xml", "219998-2024")
    assert n.kind == "prior_information" and n.expected_publication is None
    assert n.deadline is not None and n.deadline.isoformat() == "2024-05-13T12:00:00+02:00"
    assert n.buyer.name == "Communauté d'agglomération CAP Excellence" and n.buyer.siret == "20001865300051"
    assert n.cpv == ["90500000"] and n.departements == [] and n.buyer.postal_code == "97110"  # no place stated


def test_the_boamp_prior_information_notice() -> None:
    records = [
        json.loads(line)
        for line in (FIXTURES.parent.parent / "data" / "recorded" / "boamp" / "flat_records_2024-02.jsonl").open()
    ]
    from replay.boamp import api_shape

    (pin,) = [api_shape(r) for r in records if r["nature"] == "PRE-INFORMATION"]
    n = check(parse_boamp(pin))
    assert n.kind == "prior_information" and n.source_id == "24-15347" and "ESTACA" in (n.title or "")


def test_inspect_reads_both_approch_shapes() -> None:
    from watch.inspect import inspect_file

    for name in ("projets-dachats-publics.json", "api_marche_approch_example.txt"):
        (out,) = inspect_file(APPROCH / name)
        assert (out["source"], out["source_id"], out["expected_publication"]) == ("approch", "13929", "2023-10-19")
