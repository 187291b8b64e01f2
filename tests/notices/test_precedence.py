"""One writer per field: which part of a record gives the title and the deadline, and one mapping-error type."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime

import pytest
from conftest import record

from notices.boamp import parse_record
from notices.checks import RecordError, check
from notices.dates import PARIS
from notices.platforms import notice_from_atexo_item, notice_from_feed_entry, notice_from_site_item
from notices.ted import parse_search_notice
from settings import WatchError


def fnsimple(**changes) -> dict:
    """26-7308 (FNSimple) with its flat, gestion and form fields changed: None removes one."""
    rec = copy.deepcopy(record("26-7308"))
    gestion, donnees = json.loads(rec["gestion"]), json.loads(rec["donnees"])
    form = donnees["FNSimple"]["initial"]
    places = {
        "objet": (rec, "objet"),
        "datelimitereponse": (rec, "datelimitereponse"),
        "RESUME_OBJET": (gestion["INDEXATION"], "RESUME_OBJET"),
        "DATE_LIMITE_REPONSE": (gestion["INDEXATION"], "DATE_LIMITE_REPONSE"),
        "intitule": (form["natureMarche"], "intitule"),
        "dateReceptionOffres": (form["procedure"], "dateReceptionOffres"),
    }
    for name, value in changes.items():
        node, key = places[name]
        if value is None:
            node.pop(key, None)
        else:
            node[key] = value
    rec["gestion"], rec["donnees"] = json.dumps(gestion), json.dumps(donnees)
    return rec


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def test_the_title_comes_from_the_form_then_the_flat_objet_then_gestion() -> None:
    assert parse_record(fnsimple(objet="Flat", RESUME_OBJET="Gestion", intitule="Form")).title == "Form"
    assert parse_record(fnsimple(objet="Flat", RESUME_OBJET="Gestion", intitule=None)).title == "Flat"
    assert parse_record(fnsimple(objet=None, RESUME_OBJET="Gestion", intitule=None)).title == "Gestion"


def test_the_deadline_comes_from_the_form_then_gestion_then_the_flat_field() -> None:
    both = fnsimple(DATE_LIMITE_REPONSE="2026-03-02T10:00:00", dateReceptionOffres="2026-03-05T16:00:00")
    assert parse_record(both).deadline == paris(2026, 3, 5, 16)
    gestion_only = fnsimple(DATE_LIMITE_REPONSE="2026-03-02T10:00:00", dateReceptionOffres=None)
    assert parse_record(gestion_only).deadline == paris(2026, 3, 2, 10)
    flat_only = fnsimple(
        DATE_LIMITE_REPONSE=None, dateReceptionOffres=None, datelimitereponse="2026-03-09T12:00:00+01:00"
    )
    assert parse_record(flat_only).deadline is not None
    assert parse_record(flat_only).deadline.date().isoformat() == "2026-03-09"


def test_a_form_date_that_cannot_be_read_gives_way_to_gestions_readable_one() -> None:
    notice = check(
        parse_record(
            fnsimple(
                DATE_LIMITE_REPONSE="2026-03-02T10:00:00", dateReceptionOffres="pas une date", datelimitereponse=None
            )
        )
    )
    assert notice.deadline == paris(2026, 3, 2, 10) and not notice.deadline_unknown
    # nothing readable anywhere: the deadline is unknown, never read as open
    alone = check(
        parse_record(fnsimple(DATE_LIMITE_REPONSE=None, dateReceptionOffres="pas une date", datelimitereponse=None))
    )
    assert alone.deadline is None and alone.deadline_unknown


@pytest.mark.parametrize(
    "build",
    [
        lambda: parse_search_notice([]),
        lambda: parse_search_notice({"title-proc": {"fra": "x"}}),
        lambda: parse_search_notice({"publication-number": "1-2026"}, xml_tree={"Other": {}}),
        lambda: notice_from_atexo_item("place", {"categories": {}}),
        lambda: notice_from_site_item("site", {"title": "x"}, None),
        lambda: notice_from_feed_entry("feed", {"title": "x"}, None),
        lambda: parse_record({"objet": "no idweb"}),
    ],
)
def test_every_mapper_refuses_a_record_with_a_record_error(build) -> None:
    with pytest.raises(RecordError) as refused:
        build()
    assert isinstance(refused.value, WatchError) and isinstance(refused.value, ValueError)


@pytest.mark.parametrize(
    ("famille", "expected"),
    [
        ("FNS", "2024-03-04T11:00:00+00:00"),
        ("MAPA", "2024-03-04T11:00:00+00:00"),
        ("JOUE", "2024-03-04T12:00:00+00:00"),
    ],
)
def test_a_flat_deadline_is_paris_time_for_national_notices_and_utc_for_joue(famille: str, expected: str) -> None:
    """Only the flat field gives a deadline (as in the February 2024 corpus): FNS and MAPA write the Paris
    wall time with +00:00, JOUE converts it."""
    record = {
        "idweb": "24-1",
        "famille": famille,
        "objet": "Nettoyage",
        "dateparution": "2024-02-08",
        "nature": "APPEL_OFFRE",
        "datelimitereponse": "2024-03-04T12:00:00+00:00",
    }
    assert parse_record(record).deadline.astimezone(UTC).isoformat() == expected


def test_a_european_notice_naming_its_review_court_as_buyer_leaves_the_buyer_unknown() -> None:
    base = {"idweb": "24-14924", "objet": "Coordination SPS", "dateparution": "2024-02-08", "nature": "APPEL_OFFRE"}
    joue = parse_record({**base, "famille": "JOUE", "nomacheteur": "Tribunal administratif de Versailles"})
    assert joue.buyer.name is None and any("review body" in w for w in joue.warnings)
    national = parse_record({**base, "famille": "FNS", "nomacheteur": "Ville de Versailles"})
    assert national.buyer.name == "Ville de Versailles"
