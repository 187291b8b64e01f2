"""Each BOAMP `donnees` variant mapped as the notice itself states it."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from conftest import all_boamp_records, record

from notices.boamp import RecordError, parse_record, variant_of


def utc(notice_deadline: datetime | None) -> str | None:
    return notice_deadline.astimezone(UTC).isoformat() if notice_deadline else None


def test_every_recorded_record_parses_and_keeps_its_raw_text() -> None:
    for rec in all_boamp_records():
        notice = parse_record(rec)
        assert notice.source == "boamp" and notice.source_id == rec["idweb"]
        assert json.loads(notice.raw)["idweb"] == rec["idweb"]
        assert notice.title and notice.buyer.name and notice.published


@pytest.mark.parametrize(
    ("idweb", "variant"),
    [
        ("26-85090", "eforms"),
        ("26-7298", "fnsimple"),
        ("24-76932", "mapa"),
        ("15-31501", "v230"),
        ("BXP06181020621O", "v110"),
    ],
)
def test_variant_detection(idweb: str, variant: str) -> None:
    rec = record(idweb)
    assert variant_of(json.loads(rec["donnees"]), rec["source_schema"]) == variant


def test_fnsimple_deadline_uses_the_offset_of_gestion_not_the_flat_field() -> None:
    # flat datelimitereponse says 12:00+00:00; the notice says 12:00 at +01:00 (Paris winter time)
    n = parse_record(record("26-7298"))
    assert utc(n.deadline) == "2026-02-16T11:00:00+00:00"
    assert n.kind == "contract_notice" and n.status == "initial"
    assert n.buyer.name == "COMMUNE DE LA MADELEINE" and n.buyer.siret == "21590368300013"
    assert n.cpv == ["45432111"] and n.contract_type == "works" and n.departements == ["59"]


def test_fnsimple_naive_deadline_is_paris_time_and_lots_are_read() -> None:
    n = parse_record(record("26-7308"))
    assert utc(n.deadline) == "2026-02-27T11:00:00+00:00"  # "2026-02-27T12:00:00" local
    assert n.title == "Prestations traiteurs pour l'URSSAF Normandie"
    assert [lot.number for lot in n.lots] == ["1", "2", "3", "4", "5", "6", "7"]
    assert n.lots[0].cpv == ["55520000"] and "Rouen" in n.lots[0].title
    assert n.value == 75000 and n.currency == "EUR"
    assert ("criteres_sociaux", "sociaux") in [(s.signal, s.value) for s in n.social]
    assert set(n.departements) == {"76", "14", "27", "50", "61"}


def test_mapa_contract_notice() -> None:
    n = parse_record(record("24-76932"))
    assert n.kind == "contract_notice" and n.contract_type == "services"
    assert utc(n.deadline) == "2024-07-25T10:00:00+00:00"  # 12:00 Paris summer time
    assert n.place == "ORANGE" and n.departements == ["84"]
    assert [d.code for d in n.descriptors] == ["118"]
    assert n.notes and "PRIX DES PRESTATIONS" in n.notes


def test_v230_joue_notice() -> None:
    n = parse_record(record("15-31501"))
    assert n.title == "Concession d'aménagement pour la réalisation de la ZAC de Château-Gaillard"
    assert n.buyer.name == "Cté Cnes Moyenne Vilaine et Semnon"
    assert n.cpv == ["45111291", "71000000", "70122100", "70122200"]
    assert utc(n.deadline) == "2015-04-20T11:00:00+00:00"
    assert n.nuts == ["FR523"] and n.departements == ["35"] and n.contract_type == "works"


def test_v110_french_text_deadline_with_hour_in_a_sibling_fragment() -> None:
    n = parse_record(record("BWP06184040631P"))  # "1er septembre 2006" + ", à 16 heures"
    assert n.deadline == datetime.fromisoformat("2006-09-01T16:00:00+02:00")
    n = parse_record(record("BXP06184050691F"))  # ", à 17 h 15"
    assert n.deadline == datetime.fromisoformat("2006-07-19T17:15:00+02:00")


def test_v110_lots_zip_only_when_aligned() -> None:
    n = parse_record(record("BXP06181020621O"))
    assert [(lot.number, lot.title) for lot in n.lots] == [("1", "gros oeuvre"), ("4", "bardages")]
    assert n.buyer.name == "ville de Chenôve"


def test_v110_corrigendum_links_and_new_deadline() -> None:
    n = parse_record(record("BWP06184060013B"))
    assert n.status == "corrigendum"
    assert n.previous_ids == ["BWP06173060423D", "BWP06173080211A"]
    assert n.deadline == datetime.fromisoformat("2006-07-24T12:00:00+02:00")  # the "lire" of the rubric


def test_v110_cancellation_links_to_the_original() -> None:
    n = parse_record(record("BWP06181000031P"))
    assert n.status == "cancellation" and n.previous_ids == ["BWP06151100141C"]


def test_eforms_buyer_is_the_contracting_party_not_the_esender() -> None:
    n = parse_record(record("26-85090"))
    assert n.buyer.name == "Communauté de communes LE GRESIVAUDAN"  # ORG-0001 is "Avenue-Web Systèmes"
    assert n.procedure_id == "29a62cc4-71b7-4acd-bb4a-2f3755e09919"
    assert utc(n.deadline) == "2026-10-02T10:00:00+00:00"
    assert [lot.title for lot in n.lots] == ["Nord Grésivaudan", "Sud Grésivaudan"]
    assert n.cpv == ["60112000"] and n.nuts == ["FRK24"] and n.departements == ["38"]
    signals = {(s.signal, s.value, s.where) for s in n.social}
    assert ("social_objective", "other", "lot 1 BT-775") in signals
    assert not any(s.signal == "reserved_procurement" for s in n.social)  # "none" is no reservation


def test_eforms_cancellation_keeps_etat_and_links_by_folder() -> None:
    cancel, original = parse_record(record("25-127510")), parse_record(record("25-123573"))
    assert cancel.status == "cancellation" and original.status == "initial"
    assert cancel.procedure_id == original.procedure_id == "0df69801-9633-409b-8216-41d5900b694e"
    assert "25-123573" in cancel.previous_ids
    assert cancel.buyer.siret == "21950598900018"


def test_eforms_award_winners_resolved_through_organisations() -> None:
    n = parse_record(record("26-80978"))
    assert n.kind == "award"
    assert {(a.winner, a.siret, a.lot) for a in n.awards} == {
        ("SARL ALCIS TRANSPORTS", "47967398000062", "2026-02-01"),
        ("SARL ALCIS TRANSPORTS", "47967398000062", "2026-02-02"),
    }
    assert {a.amount for a in n.awards} == {160000.0, 280000.0}  # framework maxima (BT-709)
    assert n.awards[0].award_date == date(2026, 7, 17)


def test_fnsimple_free_text_award() -> None:
    n = parse_record(record("26-81190"))
    assert [(a.lot, a.winner, a.siret, a.amount) for a in n.awards] == [
        ("1", "GRAGLIA BTP", "43293695300012", 213400.41),
        ("2", "SOCIETE ENTR'IN 52", "81535164800010", 17530.0),
    ]
    assert n.awards[0].award_date == date(2026, 6, 5)


def test_mapa_award_links_to_the_initial_notice() -> None:
    n = parse_record(record("26-80528"))
    assert n.previous_ids == ["26-21814"]
    assert [(a.winner, a.amount) for a in n.awards] == [("Groupement ATC Jean-Claude RICHIER", 102193.0)]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda r: r.pop("idweb"), "no idweb"),
        (lambda r: r.update(donnees="{not json"), "donnees"),
        (lambda r: r.update(gestion=42), "gestion"),
    ],
)
def test_malformed_records_raise_a_record_error_naming_the_field(mutate, message: str) -> None:
    rec = dict(record("26-7298"))
    mutate(rec)
    with pytest.raises(RecordError, match=message):
        parse_record(rec)


def test_unknown_donnees_shape_falls_back_to_flat_fields() -> None:
    rec = dict(record("26-7298"))
    rec["donnees"] = json.dumps({"NOUVEAU_FORMAT": {"x": 1}})
    n = parse_record(rec)
    assert n.title == rec["objet"] and n.buyer.name == "COMMUNE DE LA MADELEINE"
    assert utc(n.deadline) == "2026-02-16T11:00:00+00:00"  # from gestion
