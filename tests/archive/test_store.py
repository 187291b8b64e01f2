from __future__ import annotations

from datetime import date
from pathlib import Path

from conftest import all_boamp_records, record

from archive import runs
from archive.db import MIGRATIONS, migrate, open_db
from archive.store import Archive
from notices.boamp import parse_record

ENDPOINT = "http://replay/boamp"


def archive(tmp_path: Path) -> Archive:
    return Archive(open_db(tmp_path / "a.db"))


def test_open_creates_schema_in_wal_mode_and_migrations_are_recorded_once(tmp_path: Path) -> None:
    a = archive(tmp_path)
    assert a.db.execute("pragma journal_mode").fetchone()[0] == "wal"
    assert {"notices", "raw_records", "quarantine", "watermarks", "crawl_windows", "runs"} <= set(a.db.table_names())
    assert migrate(a.db) == []
    assert a.db["_sqlite_migrations"].count == len(MIGRATIONS)
    assert not a.db["_migrations"].exists()


def test_an_archive_from_the_earlier_runner_migrates_once(tmp_path: Path) -> None:
    import sqlite_utils

    old = sqlite_utils.Database(tmp_path / "old.db")
    old["_migrations"].create({"name": str, "applied_at": str}, pk="name")
    for name, migration in MIGRATIONS[:5]:
        migration(old)
        old["_migrations"].insert({"name": name, "applied_at": "2026-11-01T00:00:00+00:00"})
    old.close()
    db = open_db(tmp_path / "old.db")  # would fail on "table notices already exists" if 001 ran again
    names = [r["name"] for r in db.query("select name from _sqlite_migrations order by rowid")]
    assert names == [name for name, _ in MIGRATIONS] and not db["_migrations"].exists()
    assert db.execute("select applied_at from _sqlite_migrations where name = '001_notices'").fetchone()[0] == (
        "2026-11-01T00:00:00+00:00"
    )
    assert "pid" in db["runs"].columns_dict and migrate(db) == []
    db.close()


def test_upsert_counts_new_unchanged_updated_and_never_duplicates(tmp_path: Path) -> None:
    a = archive(tmp_path)
    notices = [parse_record(r) for r in all_boamp_records()]
    first = a.upsert_notices(notices)
    assert (first.new, first.updated, first.unchanged) == (len(notices), 0, 0)
    again = a.upsert_notices([parse_record(r) for r in all_boamp_records()])
    assert (again.new, again.updated, again.unchanged) == (0, 0, len(notices))
    changed = parse_record(record("26-7298"))
    changed.title = "TRAVAUX MODIFIES"
    third = a.upsert_notices([changed])
    assert (third.new, third.updated) == (0, 1)
    assert a.db["notices"].count == len(notices)
    row = a.db["notices"].get(("boamp", "26-7298"))
    assert row["title"] == "TRAVAUX MODIFIES" and row["first_seen"] <= row["updated_at"]
    assert a.db["raw_records"].count == len(notices)


def test_deadline_stored_with_its_offset_and_in_utc(tmp_path: Path) -> None:
    a = archive(tmp_path)
    a.upsert_notices([parse_record(record("26-85090"))])
    row = a.db["notices"].get(("boamp", "26-85090"))
    assert row["deadline"] == "2026-10-02T12:00:00+02:00" and row["deadline_utc"] == "2026-10-02T10:00:00Z"


def test_full_text_search_ignores_diacritics(tmp_path: Path) -> None:
    a = archive(tmp_path)
    a.upsert_notices([parse_record(r) for r in all_boamp_records()])
    hits = [row["source_id"] for row in a.db["notices"].search("gresivaudan")]
    assert hits == ["26-85090"]
    hits = [row["source_id"] for row in a.db["notices"].search("amenagement")]
    assert "15-31501" in hits


def test_quarantine_is_one_row_per_bad_record_and_is_resolved_by_a_good_reading(tmp_path: Path) -> None:
    a = archive(tmp_path)
    a.quarantine("boamp", "26-7298", "donnees: invalid JSON", "{bad", "http://x")
    a.quarantine("boamp", "26-7298", "donnees: invalid JSON", "{bad", "http://x")
    rows = list(a.db["quarantine"].rows)
    assert len(rows) == 1 and rows[0]["times_seen"] == 2 and rows[0]["raw"] == "{bad"
    a.upsert_notices([parse_record(record("26-7298"))])
    assert a.db["quarantine"].count == 0


def test_watermark_moves_only_over_contiguous_final_windows(tmp_path: Path) -> None:
    a = archive(tmp_path)
    start = date(2026, 1, 1)
    kw = {"final": True, "crawl_from": start}
    assert a.complete_window("boamp", ENDPOINT, date(2026, 1, 3), date(2026, 1, 3), 5, **kw) is None  # gap
    assert a.complete_window("boamp", ENDPOINT, date(2026, 1, 1), date(2026, 1, 1), 5, **kw) == date(2026, 1, 1)
    assert a.complete_window("boamp", ENDPOINT, date(2026, 1, 2), date(2026, 1, 2), 5, **kw) == date(2026, 1, 3)
    today = {"final": False, "crawl_from": start}
    assert a.complete_window("boamp", ENDPOINT, date(2026, 1, 4), date(2026, 1, 4), 5, **today) is None
    assert a.watermark("boamp", ENDPOINT) == date(2026, 1, 3)
    assert a.watermark("boamp", "https://live.example/boamp") is None  # per endpoint


def test_runs_left_running_by_a_dead_process_are_closed_as_interrupted(tmp_path: Path) -> None:
    a = archive(tmp_path)
    stale, fresh = runs.start_crawl(a.db, "boamp"), runs.start_crawl(a.db, "ted")
    a.db["runs"].update(stale, {"started": "2026-01-01T08:00:00+00:00"})
    assert runs.close_stale_runs(a.db, "2026-06-01T00:00:00+00:00") == 1
    assert a.db["runs"].get(stale)["outcome"] == "interrupted"
    assert a.db["runs"].get(fresh)["outcome"] == "running"
