"""eForms XML notices (SDK examples, most based on real TED notices) through the shared eForms parser."""

from __future__ import annotations

from datetime import UTC

import pytest
from conftest import FIXTURES

from notices import eforms
from notices.eforms_xml import NotEforms, tree_from_xml
from notices.model import Notice

TED = FIXTURES / "ted"


def parse(name: str) -> Notice:
    return eforms.fill(Notice("ted", name), tree_from_xml((TED / name).read_bytes()))


def signals(n: Notice) -> set[tuple[str, str]]:
    return {(s.signal, s.value) for s in n.social}


def test_contract_notice_in_french() -> None:
    n = parse("cn_24_FRA_comments.xml")
    assert (n.kind, n.status) == ("contract_notice", "initial")
    assert n.title.startswith("Service d'entretien de remise en état")
    assert n.buyer.name == "Rouen Habitat"
    assert n.procedure_id == "e3cdabf1-e057-47a5-9210-b1f6fc757228"
    assert n.alt_ids == ["da4d46e9-490b-41ff-a2ae-8166d356a619"]
    assert n.cpv == ["77310000"] and n.nuts == ["FRD22"] and len(n.lots) == 2
    assert n.deadline.astimezone(UTC).isoformat() == "2019-06-24T16:00:00+00:00"
    assert ("award_criterion", "Prix") in signals(n)


def test_award_notice_winners_and_amounts() -> None:
    n = parse("can_24_FRA_comments.xml")
    assert n.kind == "award" and len(n.awards) == 2
    assert all(a.winner for a in n.awards)
    assert any(a.amount for a in n.awards)


def test_prior_information_notice_with_parts() -> None:
    n = parse("pin-only_81_FRA.xml")
    assert n.kind == "prior_information" and n.buyer.name == "Marine/DCSSF/DSSF Toulon"
    assert n.cpv == ["35520000"] and len(n.lots) == 1


def test_change_notice_is_a_corrigendum_pointing_at_the_changed_notice() -> None:
    n = parse("change-cn_24_open_dates.xml")
    assert (n.kind, n.status) == ("contract_notice", "corrigendum")
    assert n.previous_ids == ["c4c415ee-ac08-4465-8fa6-57568cf69462-01"]
    assert n.procedure_id == parse("cn_24_open.xml").procedure_id


def test_reserved_for_public_service_mission_and_reserved_execution() -> None:
    n = parse("cn_24_maximal.xml")
    assert {("reserved_procurement", "res-pub-ser"), ("reserved_execution", "yes")} <= signals(n)
    assert ("execution_conditions", "Terms Performance ---") in signals(n)
    assert ("social_objective", "acc-all") in signals(n)
    assert ("strategic_procurement", "env-imp") in signals(n)
    assert not any(s.signal == "reserved_procurement" and s.value == "none" for s in n.social)


def test_reserved_to_sheltered_workshops_in_a_light_regime_pin() -> None:
    n = parse("pin-cfc-social_24.xml")
    assert n.kind == "prior_information"
    assert ("reserved_procurement", "res-ws") in signals(n)
    assert not any(s.signal == "reserved_execution" for s in n.social)  # "not-known" is not a reservation


def test_social_objective_opp_is_kept() -> None:
    assert ("social_objective", "opp") in signals(parse("pin-rtl_24.xml"))


def test_light_regime_contract_notice() -> None:
    n = parse("cn-social_24.xml")
    assert n.kind == "contract_notice" and n.title == "Secure Care Services"
    assert n.cpv[0].startswith("853")


def test_buyer_is_the_contracting_party_even_when_the_esender_comes_first() -> None:
    for name in ("cn_24_maximal.xml", "can_24_maximal.xml", "cn_24_open.xml"):
        tree = tree_from_xml((TED / name).read_bytes())
        _, doc = eforms.root_of(tree)
        orgs = eforms.organisations(doc)
        party = eforms.v.text(
            eforms.v.get(doc, "cac:ContractingParty", "cac:Party", "cac:PartyIdentification", "cbc:ID")
        )
        assert parse(name).buyer.name == orgs[party].name


@pytest.mark.parametrize("name", sorted(p.name for p in TED.glob("*.xml")))
def test_every_example_parses(name: str) -> None:
    n = parse(name)
    assert n.title and n.buyer.name and n.kind in ("prior_information", "contract_notice", "award", "other")


def test_legacy_ted_xml_is_recognised_as_not_eforms() -> None:
    with pytest.raises(NotEforms, match="TED_EXPORT"):
        tree_from_xml((TED / "legacy" / "19-090974-001-EXP.xml").read_bytes())


def test_external_entities_are_not_resolved(tmp_path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET", encoding="utf-8")
    xml = (
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<ContractNotice xmlns="urn:oasis:names:specification:ubl:schema:xsd:ContractNotice-2" '
        'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">'
        "<cbc:ID>&x;</cbc:ID></ContractNotice>"
    )
    assert "TOPSECRET" not in str(tree_from_xml(xml))
