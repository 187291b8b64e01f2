"""Issue 12: values checked where they enter, and the eForms/BOAMP/TED readings that were wrong."""

from __future__ import annotations

import copy
import re
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pytest
from conftest import record

from notices import eforms
from notices.boamp import parse_record
from notices.checks import RecordError, check, clean_text, safe_url
from notices.eforms_xml import NotProcurement, tree_from_xml
from notices.model import Lot, Notice
from notices.nuts import NUTS3, departements_from_nuts, place_from_nuts
from notices.ted import parse_search_notice

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
TODAY = date(2026, 12, 1)


def boamp(**changes) -> dict:
    rec = copy.deepcopy(record("26-7298"))
    rec.update(changes)
    return rec


@pytest.mark.parametrize("value", ["9999-12-31", "1850-01-01"])
def test_a_publication_date_outside_the_plausible_range_is_refused(value: str) -> None:
    with pytest.raises(RecordError, match=r"publication date .* is outside 1990-01-01"):
        check(parse_record(boamp(dateparution=value)), today=TODAY)


@pytest.mark.parametrize("value", ["2026-02-30", "not a date", 20260230])
def test_an_unreadable_publication_date_is_refused_not_stored_as_null(value) -> None:  # noqa: ANN001
    with pytest.raises(RecordError, match=r"dateparution .* is not a real date"):
        parse_record(boamp(dateparution=value))


def test_a_bad_deadline_is_set_aside_and_the_tender_is_deadline_unknown() -> None:
    rec = boamp(datelimitereponse="2026-13-45T12:00:00+01:00", gestion=None, donnees=None)
    notice = check(parse_record(rec), today=TODAY)
    assert notice.deadline is None and notice.deadline_unknown
    assert any("not a real date" in w for w in notice.warnings)
    far = check(
        parse_record(boamp(datelimitereponse="9999-01-01T12:00:00+01:00", gestion=None, donnees=None)), today=TODAY
    )
    assert far.deadline is None and far.deadline_unknown and "outside" in far.warnings[-1]


def test_text_loses_control_characters_and_is_capped() -> None:
    notice = Notice("boamp", "26-1", title="Repas\x00 scolaires\x1b\r\nlot 1", description="x" * 2_000_000)
    notice.lots = [Lot(number="1", title="a\x07b")]
    check(notice, today=TODAY)
    assert notice.title == "Repas scolaires lot 1" and notice.lots[0].title == "ab"  # a title is one line
    assert len(notice.description) == 10_000 and notice.description.endswith("…")
    assert any("description cut" in w for w in notice.warnings)
    assert clean_text(" \u2028 ") == (None, False)


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(document.cookie)", "https://ex.fr/a\nb", "data:text/html,x", "//ex.fr", "ftp://ex.fr"],
)
def test_only_http_links_are_kept_and_the_source_link_replaces_the_rest(url: str) -> None:
    assert safe_url(url) is None
    notice = check(parse_record(boamp(url_avis=url)), today=TODAY)
    assert notice.url == "https://www.boamp.fr/pages/avis/?q=idweb:26-7298"
    assert any("not an http(s) address" in w for w in notice.warnings)


@pytest.mark.parametrize("idweb", [["26-1", "26-2"], "26 1", "26-1/../x;y", "", None])
def test_identifiers_must_be_single_plain_values(idweb) -> None:  # noqa: ANN001
    with pytest.raises(RecordError):
        check(parse_record(boamp(idweb=idweb)), today=TODAY)


def test_impossible_amounts_are_set_aside() -> None:
    notice = Notice("boamp", "26-1", value=float("inf"))
    notice.lots = [Lot(number="1", value=-5.0), Lot(number="2", value=1e15)]
    check(notice, today=TODAY)
    assert notice.value is None and [lot.value for lot in notice.lots] == [None, None]
    assert len(notice.warnings) == 3


def test_boamp_cancellation_nature_wins_over_etat() -> None:
    notice = parse_record(boamp(nature="ANNULATION", etat="INITIAL"))
    assert notice.status == "cancellation"
    assert parse_record(boamp(nature="RECTIFICATIF", etat="INITIAL")).status == "corrigendum"


def test_the_nuts_table_is_the_eforms_code_list() -> None:
    tree = ET.parse(FIXTURES / "codelists" / "nuts_nuts-fra-lvl3.gc")
    codes = {
        {v.get("ColumnRef"): v.findtext("SimpleValue") for v in row.findall("Value")}["code"]
        for row in tree.getroot().iter("Row")
    }
    assert set(NUTS3) == codes - {"FRZZZ"}
    assert len({d for d, _ in NUTS3.values()}) == 101
    assert departements_from_nuts(["FRB04", "FRY40", "FR101", "DE111", None]) == ["37", "974", "75"]
    assert departements_from_nuts(["FRM0"]) == ["2A", "2B"]  # a NUTS 2 region: each of its départements
    assert place_from_nuts(["FRB04"]) == "Indre-et-Loire"


def test_ted_search_results_get_departements_and_place_from_nuts() -> None:
    notice = parse_search_notice(
        {"publication-number": "1-2026", "publication-date": "2026-09-10+02:00", "place-of-performance": ["FRB04"]}
    )
    assert notice.departements == ["37"] and notice.place == "Indre-et-Loire"


def _eforms(name: str, edit=None) -> Notice:  # noqa: ANN001
    xml = (FIXTURES / "ted" / name).read_text(encoding="utf-8")
    if edit:
        xml = edit(xml)
    return eforms.fill(Notice("ted", "x"), tree_from_xml(xml.encode()))


def test_a_lots_group_is_not_a_lot() -> None:
    notice = _eforms("can_24_maximal.xml")
    assert [lot.number for lot in notice.lots] == ["Lot Reference A", "Lot Reference B"]


def test_pre_1_1_social_objective_list_name_is_read() -> None:
    def old_list(xml: str) -> str:  # the SDK before 1.1 called the BT-775 list "social-procurement"
        return xml.replace('listName="social-objective"', 'listName="social-procurement"')

    notice = _eforms("pin-rtl_24.xml", old_list)
    assert any(s.signal == "social_objective" and s.value == "opp" for s in notice.social)


def test_a_veat_names_its_intended_winner_without_being_an_award() -> None:
    def veat(xml: str) -> str:
        return re.sub(r"(<cbc:NoticeTypeCode[^>]*>)[^<]*", r"\1veat", xml).replace(
            'listName="result"', 'listName="dir-awa-pre"'
        )

    notice = _eforms("can_24_maximal.xml", veat)
    assert notice.kind == "other"
    assert notice.awards and all(a.intended for a in notice.awards)
    assert "Gyro Soft SA" in {a.winner for a in notice.awards}


def test_business_registration_notices_are_not_procurement() -> None:
    xml = (FIXTURES / "ted" / "E4_minimal.xml").read_text(encoding="utf-8")
    root = re.search(r"<(\w+:)?(\w+)[\s>]", xml[xml.index("<", xml.index("?>") + 2) :]).group(2)  # type: ignore[union-attr]
    brin = xml.replace(root, "BusinessRegistrationInformationNotice")
    with pytest.raises(NotProcurement, match="not a procurement notice"):
        tree_from_xml(brin.encode())
