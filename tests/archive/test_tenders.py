"""The read side's typed records: classifications round trip through their row; the loaders by change and by week."""

from __future__ import annotations

from pathlib import Path

from conftest import all_boamp_records

from archive.db import open_db
from archive.procedures import rebuild
from archive.store import Archive
from archive.tenders import (
    Classification,
    Event,
    SocialFlags,
    Theme,
    publication_days,
    save_classifications,
    tenders_changed_since,
    tenders_due,
    tenders_published,
)
from classify.archive_run import classify_archive
from classify.engine import Classifier
from notices.boamp import parse_record


def sample() -> Classification:
    return Classification(
        source="boamp",
        source_id="26-1",
        themes=[
            Theme("restauration_solidaire", 3.5, [{"field": "title", "phrase": "traiteur"}]),
            Theme("mobilite", 1.0),
        ],
        social=SocialFlags(
            reserved_contract=True,
            social_criterion=True,
            reserved_kinds=["EA/ESAT"],
            evidence={"reserved_contract": [{"source": "structured"}], "insertion_clause": [], "social_criterion": []},
        ),
        event=Event("JO 2030", [{"field": "description"}]),
        version="t1+wabc",
        classified_at="2026-12-01T00:00:00+00:00",
    )


def test_classification_round_trips_through_its_row() -> None:
    c = sample()
    row = c.to_row()
    assert (row["reserved_contract"], row["insertion_clause"], row["social_criterion"]) == (1, 0, 1)
    assert row["event_name"] == "JO 2030" and row["taxonomy_version"] == "t1+wabc"
    assert Classification.from_row(row) == c
    assert Classification.from_row(Classification("ted", "x").to_row()) == Classification("ted", "x")


def test_social_flags_keep_the_classifier_shape() -> None:
    result = {
        "reserved_contract": {"value": True, "evidence": [{"a": 1}], "kinds": ["SIAE"]},
        "insertion_clause": {"value": False, "evidence": []},
        "social_criterion": {"value": False, "evidence": []},
    }
    flags = SocialFlags.from_dict(result)
    assert flags.reserved_contract and flags.reserved_kinds == ["SIAE"] and flags.reserved_or_insertion
    assert flags.to_dict() == result


def test_saving_replaces_the_theme_index(tmp_path: Path) -> None:
    db = open_db(tmp_path / "a.db")
    c = sample()
    save_classifications(db, [c])
    c.themes = c.themes[:1]
    save_classifications(db, [c])
    assert [r["theme"] for r in db["notice_themes"].rows] == ["restauration_solidaire"]
    assert Classification.from_row(db["classifications"].get(("boamp", "26-1"))) == c


def classified(tmp_path: Path) -> Archive:
    archive = Archive(open_db(tmp_path / "a.db"))
    archive.upsert_notices([parse_record(r) for r in all_boamp_records()])
    rebuild(archive.db)
    classify_archive(archive.db, Classifier())
    return archive


def test_tenders_changed_since(tmp_path: Path) -> None:
    archive = classified(tmp_path)
    tenders = tenders_changed_since(archive.db, None)
    assert len(tenders) == archive.db["procedures"].count
    assert sum(len(t.notices) for t in tenders) == archive.db["notices"].count
    assert all(t.state for t in tenders)
    catering = next(n for t in tenders for n in t.notices if n.source_id == "26-7308")
    assert catering.classification is not None and catering.themes[0].code == "restauration_solidaire"
    assert tenders_changed_since(archive.db, "9999") == []
    archive.db.execute("update notices set updated_at = '9999-12-31' where source_id = '26-7308'")
    again = tenders_changed_since(archive.db, "9999")
    assert [n.source_id for t in again for n in t.notices] == [
        n.source_id for n in next(t for t in tenders if any(n.source_id == "26-7308" for n in t.notices)).notices
    ]


def test_tenders_of_a_week_and_due(tmp_path: Path) -> None:
    archive = classified(tmp_path)
    days = sorted({r["published"] for r in archive.db["notices"].rows if r["published"]})
    assert publication_days(archive.db) == days
    week = tenders_published(archive.db, days[0], days[-1])
    assert (
        sum(len(t.notices) for t in week)
        == archive.db.execute("select count(*) from notices where published is not null").fetchone()[0]
    )
    first_day = tenders_published(archive.db, days[0], days[0])
    assert {n.published for t in first_day for n in t.notices} == {days[0]}
    assert tenders_published(archive.db, "1990-01-01", "1990-01-07") == []
    due = tenders_due(archive.db, "2000-01-01T00:00:00Z", "9999-01-01T00:00:00Z", days[-1])
    notices = [n for t in due for n in t.notices]
    assert notices and all(n.kind in ("contract_notice", "prior_information") and n.deadline_utc for n in notices)
    assert all(t.state != "cancelled" for t in due)


def test_an_unreadable_notice_is_left_out_not_fatal(tmp_path: Path) -> None:
    archive = classified(tmp_path)
    archive.db.execute("update notices set departements = '{broken' where source_id = '26-7308'")
    tenders = tenders_changed_since(archive.db, None)
    keys = [n.source_id for t in tenders for n in t.notices]
    assert "26-7308" not in keys and len(keys) == archive.db["notices"].count - 1
