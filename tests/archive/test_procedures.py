"""Notices of one tender grouped into a procedure, across sources, with the tender's state."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from conftest import FIXTURES, record

from archive.db import open_db
from archive.procedures import procedure_of, rebuild
from archive.store import Archive
from notices.boamp import parse_record
from notices.eforms_xml import tree_from_xml
from notices.ted import parse_search_notice

TED = FIXTURES / "ted"
FOLDER = "31f258b6-5eb2-4875-8997-affa3cdce27c"  # cn_24_open.xml and its change notice
SPRING_2020 = datetime(2020, 3, 1, tzinfo=UTC)


def ted_notice(pubno: str, xml: str, published: str):
    api = {"publication-number": pubno, "publication-date": published}
    return parse_search_notice(api, xml_tree=tree_from_xml(xml))


def xml(name: str) -> str:
    return (TED / name).read_text(encoding="utf-8")


def archive(tmp_path: Path) -> Archive:
    return Archive(open_db(tmp_path / "p.db"))


def state(a: Archive, source: str, source_id: str) -> str:
    return procedure_of(a.db, source, source_id)["state"]


def test_contract_notice_change_award_cancellation_chain(tmp_path: Path) -> None:
    a = archive(tmp_path)
    a.upsert_notices([ted_notice("100-2020", xml("cn_24_open.xml"), "2020-02-28+01:00")])
    rebuild(a.db, now=SPRING_2020)
    assert state(a, "ted", "100-2020") == "open"

    a.upsert_notices([ted_notice("101-2020", xml("change-cn_24_open_dates.xml"), "2020-04-17+01:00")])
    rebuild(a.db, now=SPRING_2020)
    assert state(a, "ted", "100-2020") == "corrected"
    proc = procedure_of(a.db, "ted", "101-2020")
    assert proc["id"] == FOLDER and proc["notices"] == 2
    assert proc["deadline"] == "2020-06-12T12:00:00+01:00"  # the corrected deadline, not the first one

    award_xml = xml("can_24_UKRI.xml").replace(
        "<cbc:ContractFolderID>7b400e9a-0469-440b-8d64-9a68d4677806", f"<cbc:ContractFolderID>{FOLDER}"
    )
    a.upsert_notices([ted_notice("102-2020", award_xml, "2020-07-01+01:00")])
    rebuild(a.db, now=SPRING_2020)
    assert state(a, "ted", "100-2020") == "awarded"

    cancel_xml = (
        xml("change-cn_24_open_dates.xml")
        .replace(">update-add<", ">cancel<")
        .replace("71397268-6c47-4f2f-8ab0-f41a26138f81", "71397268-6c47-4f2f-8ab0-f41a26138f82")
    )
    a.upsert_notices([ted_notice("103-2020", cancel_xml, "2020-08-01+01:00")])
    rebuild(a.db, now=SPRING_2020)
    assert state(a, "ted", "100-2020") == "cancelled"
    members = list(
        a.db.query("select source_id from procedure_notices where procedure_id = ? order by position", [FOLDER])
    )
    assert [m["source_id"] for m in members] == ["100-2020", "101-2020", "102-2020", "103-2020"]


def test_boamp_cancellation_joins_its_notice_by_folder_and_award_by_reference(tmp_path: Path) -> None:
    a = archive(tmp_path)
    cn = parse_record(record("26-7298"))
    award = parse_record(record("26-80528"))
    award.previous_ids = ["26-7298"]  # as `annonce_lie` says of a real award
    a.upsert_notices([parse_record(record("25-123573")), parse_record(record("25-127510")), cn, award])
    counts = rebuild(a.db)
    assert state(a, "boamp", "25-127510") == "cancelled"
    assert procedure_of(a.db, "boamp", "25-123573")["notices"] == 2
    assert procedure_of(a.db, "boamp", "26-80528")["id"] == procedure_of(a.db, "boamp", "26-7298")["id"]
    assert state(a, "boamp", "26-7298") == "awarded"
    assert sum(counts.values()) == 2


def test_boamp_joue_notice_and_its_ted_twin_share_the_eforms_notice(tmp_path: Path) -> None:
    a = archive(tmp_path)
    boamp = dict(record("26-85090"))
    boamp["idweb"] = "19-12345"
    boamp["contractfolderid"] = None
    boamp["donnees"] = json.dumps({"EFORMS": tree_from_xml(xml("cn_24_FRA_comments.xml"))})
    twin_b = parse_record(boamp)
    twin_t = ted_notice("219497-2019", xml("cn_24_FRA_comments.xml"), "2019-05-10+02:00")
    a.upsert_notices([twin_b, twin_t])
    rebuild(a.db)
    proc = procedure_of(a.db, "boamp", "19-12345")
    assert proc == procedure_of(a.db, "ted", "219497-2019")
    assert json.loads(proc["sources"]) == ["boamp", "ted"]


def test_fuzzy_twin_without_shared_ids_is_linked_with_its_score(tmp_path: Path) -> None:
    a = archive(tmp_path)
    boamp = parse_record(record("26-7308"))  # "Prestations traiteurs pour l'URSSAF Normandie"
    ted_twin = parse_search_notice(
        {
            "publication-number": "45123-2026",
            "publication-date": "2026-01-23+01:00",
            "notice-type": "cn-standard",
            "title-proc": {"fra": "Prestations de traiteurs pour l’URSSAF Normandie"},
            "buyer-name": {"fra": ["URSSAF Normandie"]},
            "classification-cpv": ["55520000"],
            "deadline-receipt-tender-date-lot": ["2026-02-27+01:00"],
        }
    )
    unrelated = parse_search_notice(
        {
            "publication-number": "45124-2026",
            "publication-date": "2026-01-22+01:00",
            "notice-type": "cn-standard",
            "title-proc": {"fra": "Prestations traiteurs pour la mairie"},
            "buyer-name": {"fra": ["Ville de Caen"]},
            "classification-cpv": ["55520000"],
        }
    )
    a.upsert_notices([boamp, ted_twin, unrelated])
    rebuild(a.db)
    proc = procedure_of(a.db, "boamp", "26-7308")
    assert proc["id"] == procedure_of(a.db, "ted", "45123-2026")["id"]
    assert proc["id"] != procedure_of(a.db, "ted", "45124-2026")["id"]
    link = a.db.execute(
        "select linked_by, score from procedure_notices where source = 'boamp' and source_id = '26-7308'"
    ).fetchone()
    assert link[0] == "fuzzy twin" and link[1] >= 90


def test_rebuild_is_idempotent(tmp_path: Path) -> None:
    a = archive(tmp_path)
    a.upsert_notices([parse_record(record("25-123573")), parse_record(record("25-127510"))])
    first = rebuild(a.db)
    rows = list(a.db.query("select * from procedure_notices order by source_id"))
    assert rebuild(a.db) == first
    assert list(a.db.query("select * from procedure_notices order by source_id")) == rows
