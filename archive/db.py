"""Opening the SQLite archive and migrating its schema.

The archive is one SQLite file (WAL mode, so analysts can read while a crawl writes). Its schema is built
by an ordered list of migrations applied by sqlite-utils' migration runner (`sqlite_utils.migrations`) and
recorded in `_sqlite_migrations`, so an archive made by an older version is brought up to date on open and
never rebuilt. Archives migrated by the earlier home-made runner (recorded in `_migrations`) are adopted.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils
from sqlite_utils.migrations import Migrations

from settings import WatchError

# The private store's tables (archive.private): never in the analysts' archive.
PRIVATE_TABLES = ("subscribers", "sent_items", "outbox", "feedback", "unsubscribes")

Migration = Callable[[sqlite_utils.Database], None]


def _m001_notices(db: sqlite_utils.Database) -> None:
    db["notices"].create(
        {
            "source": str,
            "source_id": str,
            "url": str,
            "title": str,
            "description": str,
            "notes": str,
            "buyer_name": str,
            "buyer_siret": str,
            "buyer_city": str,
            "buyer_postal_code": str,
            "kind": str,
            "status": str,
            "previous_ids": str,  # JSON list
            "procedure_id": str,
            "published": str,  # ISO date
            "deadline": str,  # ISO instant with the notice's own offset
            "deadline_utc": str,  # same instant in UTC, for sorting and comparing
            "cpv": str,  # JSON list
            "descriptors": str,  # JSON list of {code, label}
            "departements": str,  # JSON list
            "nuts": str,  # JSON list
            "place": str,
            "contract_type": str,
            "value": float,
            "currency": str,
            "lots": str,  # JSON
            "awards": str,  # JSON
            "social": str,  # JSON list of {signal, value, where}
            "content_hash": str,
            "first_seen": str,
            "updated_at": str,
        },
        pk=("source", "source_id"),
    )
    notices = db["notices"]
    notices.create_index(["published"])
    notices.create_index(["deadline_utc"])
    notices.create_index(["kind", "status"])
    notices.create_index(["procedure_id"])
    notices.create_index(["buyer_siret"])
    notices.create_index(["updated_at"])
    notices.enable_fts(
        ["title", "description", "buyer_name"],
        fts_version="FTS5",
        create_triggers=True,
        tokenize="unicode61 remove_diacritics 2",
    )
    db["raw_records"].create(
        {"source": str, "source_id": str, "raw": str, "fetched_at": str}, pk=("source", "source_id")
    )
    db["quarantine"].create(
        {
            "id": str,  # sha1 of source + raw: the same bad record is one row however often it is read
            "source": str,
            "source_id": str,
            "error": str,
            "context": str,
            "raw": str,
            "first_seen": str,
            "last_seen": str,
            "times_seen": int,
        },
        pk="id",
    )
    db["quarantine"].create_index(["source", "source_id"])
    # Keyed by endpoint too: a watermark earned against a replay server says nothing about the live API.
    db["watermarks"].create(
        {"source": str, "endpoint": str, "value": str, "updated_at": str}, pk=("source", "endpoint")
    )
    db["crawl_windows"].create(
        {
            "source": str,
            "endpoint": str,
            "start": str,
            "end": str,
            "records": int,
            "final": int,
            "completed_at": str,
        },
        pk=("source", "endpoint", "start", "end"),
    )
    db["runs"].create(
        {
            "id": int,
            "job": str,
            "started": str,
            "finished": str,
            "outcome": str,
            "fetched": int,
            "new": int,
            "updated": int,
            "unchanged": int,
            "quarantined": int,
            "failed_windows": int,
            "error": str,
        },
        pk="id",
    )
    db["runs"].create_index(["job", "started"])


def _m002_alt_ids_and_procedures(db: sqlite_utils.Database) -> None:
    db["notices"].add_column("alt_ids", str)  # JSON list: the same notice's other ids (eForms UUID, ...)
    db["procedures"].create(
        {
            "id": str,
            "state": str,  # announced, open, corrected, cancelled, awarded, closed
            "title": str,
            "buyer_name": str,
            "first_published": str,
            "last_published": str,
            "deadline": str,
            "deadline_utc": str,
            "notices": int,
            "sources": str,  # JSON list
            "updated_at": str,
        },
        pk="id",
    )
    db["procedures"].create_index(["state"])
    db["procedure_notices"].create(
        {
            "procedure_id": str,
            "source": str,
            "source_id": str,
            "position": int,  # order of the notices in the tender's life
            "linked_by": str,  # how this notice joined: procedure id, previous notice, same notice, fuzzy
            "score": float,  # the rapidfuzz score when linked_by = fuzzy twin
        },
        pk=("source", "source_id"),
    )
    db["procedure_notices"].create_index(["procedure_id"])


def _m003_classifications(db: sqlite_utils.Database) -> None:
    db["classifications"].create(
        {
            "source": str,
            "source_id": str,
            "taxonomy_version": str,
            "themes": str,  # JSON list of {code, score, evidence}
            "social": str,  # JSON {reserved_contract, insertion_clause, social_criterion}
            "event": str,  # JSON {name, evidence} or null
            "reserved_contract": int,
            "insertion_clause": int,
            "social_criterion": int,
            "event_name": str,
            "classified_at": str,
        },
        pk=("source", "source_id"),
    )
    db["classifications"].create_index(["classified_at"])
    db["notice_themes"].create(
        {"source": str, "source_id": str, "theme": str, "score": float}, pk=("source", "source_id", "theme")
    )
    db["notice_themes"].create_index(["theme"])


def _m004_alerts(db: sqlite_utils.Database) -> None:
    db["notice_departements"].create(
        {"source": str, "source_id": str, "departement": str}, pk=("source", "source_id", "departement")
    )
    db["notice_departements"].create_index(["departement"])
    db.execute(
        "insert or ignore into notice_departements (source, source_id, departement) "
        "select n.source, n.source_id, d.value from notices n, json_each(n.departements) d"
    )
    # Subscribers and their mail were created here until the private store (archive.private) took them:
    # archives made since never hold them; older ones give them up through archive.private.move_from_archive.


def _m005_reference(db: sqlite_utils.Database) -> None:
    db["notices"].add_column("reference", str)
    db["notices"].create_index(["reference"])
    db["source_health"].create({"source": str, "metric": str, "value": int, "updated_at": str}, pk=("source", "metric"))


def _m006_operations(db: sqlite_utils.Database) -> None:
    """Run history of every job (not only crawls) and the incidents behind breakage alarms."""
    db["runs"].add_column("classified", int)
    db["runs"].add_column("emails_sent", int)
    db["runs"].create_index(["outcome"])
    db["incidents"].create(
        {
            "id": int,
            "source": str,  # a source, or "archive" for the disk
            "kind": str,  # failing, late, low_volume, quarantine_spike, disk_space
            "detail": str,
            "opened_at": str,
            "notified_at": str,  # null until the operators were told (retried at each check)
            "resolved_at": str,
            "recovery_notified_at": str,
        },
        pk="id",
    )
    db["incidents"].create_index(["source", "kind", "resolved_at"])


def _m007_checked_values(db: sqlite_utils.Database) -> None:
    """Values set aside on entry (notices.checks): the warnings, and a deadline that could not be read."""
    db["notices"].add_column("deadline_unknown", int)
    db["notices"].add_column("warnings", str)  # JSON list, null when the notice had nothing set aside


def _m008_private_tables_out(db: sqlite_utils.Database) -> None:
    """Subscribers and their mail live in the private store (archive.private): their tables leave the archive.

    Empty ones are dropped here; ones with rows wait for archive.private.move_from_archive, which copies them
    into the private store first (the next command that opens it), so nothing is lost.
    """
    db.execute("PRAGMA secure_delete = ON")
    for table in (*PRIVATE_TABLES, "settings"):  # settings: the signing key, in archives before the split
        if db[table].exists() and db[table].count == 0:
            db[table].drop()


def _m009_run_process(db: sqlite_utils.Database) -> None:
    """The process and host of each run, so that a run whose process died is closed at the next job."""
    db["runs"].add_column("pid", int)
    db["runs"].add_column("host", str)


def _m010_fts_notes_and_lots(db: sqlite_utils.Database) -> None:
    """Full text over the notes (execution conditions, criteria: where insertion clauses are written) and the
    lots too, beside title, description and buyer; the index is rebuilt from the notices."""
    db["notices"].disable_fts()
    db["notices"].enable_fts(
        ["title", "description", "notes", "lots", "buyer_name"],
        fts_version="FTS5",
        create_triggers=True,
        tokenize="unicode61 remove_diacritics 2",
        replace=True,
    )


def _m011_contracts_and_companies(db: sqlite_utils.Database) -> None:
    """Awarded contracts (DECP, notices.contracts.Contract), their holders and modifications, their themes,
    and the companies register (notices.companies.Company) that says who the holders are."""
    db["contracts"].create(
        {
            "uid": str,  # buyer SIRET + the buyer's id
            "id": str,
            "source": str,  # "decp"
            "dataset": str,
            "nature": str,
            "buyer_siret": str,
            "buyer_name": str,
            "object": str,
            "cpv": str,
            "procedure": str,
            "notified": str,  # ISO date
            "published": str,
            "duration_months": int,
            "amount": float,  # current amount, euros HT
            "initial_amount": float,
            "place_code": str,
            "place_type": str,
            "departement": str,
            "social": str,  # JSON list of clause / criterion / reserved
            "social_stated": int,
            "social_clause": int,  # 0/1 (null when the record states nothing)
            "social_criterion": int,
            "reserved": int,
            "environmental": str,  # JSON list
            "subcontracting_declared": int,
            "grouping": str,
            "framework_id": str,
            "winners": int,  # number of holders
            "warnings": str,  # JSON list
            # The watch's own procedure this contract comes from, when it could be found:
            "notice_source": str,
            "notice_source_id": str,
            "procedure_id": str,
            "linked_by": str,  # reference, buyer_object_date
            "link_score": float,
            "content_hash": str,
            "first_seen": str,
            "updated_at": str,
        },
        pk="uid",
    )
    contracts = db["contracts"]
    for columns in (["notified"], ["buyer_siret"], ["departement"], ["cpv"], ["notice_source", "notice_source_id"]):
        contracts.create_index(columns)
    db["contract_winners"].create(
        {"uid": str, "position": int, "winner_id": str, "id_type": str, "siren": str, "name": str},
        pk=("uid", "position"),
    )
    db["contract_winners"].create_index(["siren"])
    db["contract_modifications"].create(
        {
            "uid": str,
            "modification_id": str,
            "notified": str,
            "published": str,
            "amount": float,
            "duration_months": int,
            "winners": str,  # JSON list of {id, id_type} when the modification changes the holders
        },
        pk=("uid", "modification_id"),
    )
    db["contract_raw"].create({"uid": str, "raw": str, "fetched_at": str}, pk="uid")
    db["contract_themes"].create(
        {"uid": str, "theme": str, "score": float, "taxonomy_version": str}, pk=("uid", "theme")
    )
    db["contract_themes"].create_index(["theme"])
    db["companies"].create(
        {
            "siren": str,
            "name": str,
            "ess": int,  # 1 / 0 / null (unknown)
            "inclusive_kind": str,  # EI, ACI, AI, ETTI, GEIQ, EA, ESAT or null
            "size": str,  # TPE, PME, ETI, GE or null
            "headcount_band": str,
            "naf": str,
            "legal_category": str,
            "sources": str,  # JSON list of register files
            "updated_at": str,
        },
        pk="siren",
    )


def _m012_contracts_classified(db: sqlite_utils.Database) -> None:
    """Which reading of a contract (content hash) the contracts classifier last classified, with which
    taxonomy: a contract without a theme is not classified again on every run."""
    db["contracts_classified"].create(
        {"uid": str, "content_hash": str, "taxonomy_version": str, "themes": int, "classified_at": str}, pk="uid"
    )


def _m013_upcoming(db: sqlite_utils.Database) -> None:
    """Upcoming purchases (prior information, APProch programmes): when the call is expected, the source's
    value band, and the links from each upcoming purchase to the call later published (archive.upcoming)."""
    db["notices"].add_column("expected_publication", str)  # ISO day
    db["notices"].add_column("value_band", str)
    db["notices"].create_index(["expected_publication"])
    db["upcoming_links"].create(
        {
            "upcoming_source": str,
            "upcoming_source_id": str,
            "call_source": str,
            "call_source_id": str,
            "score": float,  # 0-100; 100 when the two notices share an id (same procedure)
            "method": str,  # same procedure, buyer_cpv_title
            "announced": str,  # ISO day the upcoming purchase was published
            "expected": str,  # ISO day the call was expected (null when the notice gave none)
            "published": str,  # ISO day the call was published
            "linked_at": str,
        },
        pk=("upcoming_source", "upcoming_source_id"),
    )
    db["upcoming_links"].create_index(["call_source", "call_source_id"])


def _m014_contract_raw_as_read(db: sqlite_utils.Database) -> None:
    """A contract's raw record is its source text as read: the JSON object, or the CSV line(s) of a row, whose
    header line is kept once per file layout in `contract_raw_headers` (`contract_raw.header_id`). Raw records
    stored before keep their JSON (their header_id is null)."""
    db["contract_raw_headers"].create({"id": int, "header": str}, pk="id")
    db["contract_raw_headers"].create_index(["header"], unique=True)
    db["contract_raw"].add_column("header_id", int)


MIGRATIONS: list[tuple[str, Migration]] = [
    ("001_notices", _m001_notices),
    ("002_alt_ids_and_procedures", _m002_alt_ids_and_procedures),
    ("003_classifications", _m003_classifications),
    ("004_alerts", _m004_alerts),
    ("005_reference", _m005_reference),
    ("006_operations", _m006_operations),
    ("007_checked_values", _m007_checked_values),
    ("008_private_tables_out", _m008_private_tables_out),
    ("009_run_process", _m009_run_process),
    ("010_fts_notes_and_lots", _m010_fts_notes_and_lots),
    ("011_contracts_and_companies", _m011_contracts_and_companies),
    ("012_contracts_classified", _m012_contracts_classified),
    ("013_upcoming", _m013_upcoming),
    ("014_contract_raw_as_read", _m014_contract_raw_as_read),
]


ARCHIVE_MIGRATIONS = Migrations("archive")
for _name, _migration in MIGRATIONS:
    ARCHIVE_MIGRATIONS(name=_name)(_migration)

LEGACY_RECORD = "_migrations"  # where the home-made runner recorded them, until sqlite_utils.migrations


def migrate(db: sqlite_utils.Database) -> list[str]:
    """Apply pending migrations in order (sqlite_utils.migrations, each in a transaction with its record in
    `_sqlite_migrations`); returns the names applied."""
    _adopt_legacy_record(db)
    pending = [m.name for m in ARCHIVE_MIGRATIONS.pending(db)]
    if pending:
        ARCHIVE_MIGRATIONS.apply(db)
    return pending


def _adopt_legacy_record(db: sqlite_utils.Database) -> None:
    """An archive migrated by the earlier runner lists its migrations in `_migrations`: they are recorded as
    applied (with their dates) in sqlite-utils' table, once, so that none runs a second time."""
    if not db[LEGACY_RECORD].exists():
        return
    ARCHIVE_MIGRATIONS.ensure_migrations_table(db)
    with db.atomic():
        known = {m.name for m in ARCHIVE_MIGRATIONS.applied(db)}
        rows = [
            {"migration_set": ARCHIVE_MIGRATIONS.name, "name": row["name"], "applied_at": row["applied_at"]}
            for row in db.query(f"select name, applied_at from {LEGACY_RECORD} order by rowid")
            if row["name"] not in known
        ]
        db[ARCHIVE_MIGRATIONS.migrations_table].insert_all(rows)
        db[LEGACY_RECORD].drop()


class StoreError(WatchError):
    """An archive or private store that cannot be opened or read: the message names the file and the cause."""


def open_store(path: str | Path, what: str, prepare: Callable[[sqlite_utils.Database], Any]) -> sqlite_utils.Database:
    """Open (creating if needed) a SQLite store in WAL mode and bring its schema up to date with `prepare`.

    A file that is not a database, is corrupt, or sits where it cannot be created raises StoreError naming it
    and `what` it is ("the archive", "the private store").
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite_utils.Database(path)
        db.conn.execute("PRAGMA busy_timeout = 30000")
        db.enable_wal()
        db.conn.execute("PRAGMA synchronous = NORMAL")
        prepare(db)
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(f"{path}: cannot open {what} ({exc})") from exc
    return db


def open_db(path: str | Path) -> sqlite_utils.Database:
    """Open (creating if needed) the archive at `path`, with the schema up to date."""
    return open_store(path, "the archive", migrate)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
