"""What a corrigendum changed, read from the archive as the digests and the newsletter read it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from conftest import record

from archive.changes import changes
from archive.db import open_db
from archive.procedures import rebuild
from archive.store import Archive
from archive.tenders import tenders_changed_since
from notices.boamp import parse_record
from replay.boamp import corrigendum_of

NOW = datetime(2026, 1, 26, 8, tzinfo=UTC)


def corrigendum(deadline: str) -> dict:
    return corrigendum_of(record("26-7308"), "26-7400", deadline, "2026-01-25")


def test_a_corrigendum_says_the_deadline_moved_and_nothing_else(tmp_path: Path) -> None:
    with open_db(tmp_path / "w.db") as db:
        Archive(db).upsert_notices([parse_record(record("26-7308")), parse_record(corrigendum("2026-03-13T12:00:00"))])
        rebuild(db, now=NOW)
        (tender,) = [t for t in tenders_changed_since(db, None) if len(t.notices) == 2]
    assert [n.status for n in tender.notices] == ["initial", "corrigendum"]
    (change,) = changes(tender)
    assert change.field == "deadline_utc"
    assert change.before.startswith("2026-02-27") and change.after.startswith("2026-03-13")


def test_no_corrigendum_no_change(tmp_path: Path) -> None:
    with open_db(tmp_path / "w.db") as db:
        Archive(db).upsert_notices([parse_record(record("26-7308"))])
        rebuild(db, now=NOW)
        (tender,) = tenders_changed_since(db, None)
    assert changes(tender) == []
