"""The private store: subscribers, their digests, what was sent to whom, feedback, unsubscribes.

The analysts' archive (notices, procedures, classifications, runs) is meant to be shown: opened with sqlite3 or
Datasette, copied, exported. Nothing that identifies a structure's contact or lets anyone forge its links may
live there. So e-mail addresses, the outbox (whole messages with their signed links), sent items, feedback and
unsubscribes have their own SQLite file (`private.path`, outside the analysts' folder by default), and the key
that signs the links comes from `WATCH_SECRET_KEY` or a key file created with mode 0600 (`private.key_file`).

Archives from before this split held these tables: `move_from_archive` copies them here once (rows keep their
ids, a re-run after a crash copies nothing twice), then drops them from the archive, and moves the old signing
key to the key file so that links already mailed keep working.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
from pathlib import Path

import sqlite_utils

from archive.db import PRIVATE_TABLES as TABLES
from archive.db import StoreError, open_store

logger = logging.getLogger(__name__)

LEGACY_TABLES = (*TABLES, "settings")  # what archives from before the split held (settings: the signing key)


def _schema(db: sqlite_utils.Database) -> None:
    db["subscribers"].create(
        {
            "id": int,
            "name": str,
            "emails": str,  # JSON list
            "kind": str,  # EI, AI, ACI, ETTI, GEIQ, EA, ESAT, association, cooperative, other
            "themes": str,  # JSON list of theme codes
            "departements": str,  # JSON list
            "regions": str,  # JSON list of INSEE region codes
            "national": int,
            "keywords": str,  # JSON list
            "exclude_keywords": str,  # JSON list
            "value_min": float,
            "value_max": float,
            "notice_kinds": str,  # JSON list: upcoming, open, awards
            "frequency": str,  # each_run, daily, weekly
            "active": int,
            "created_at": str,
            "last_digest_at": str,
            "siret": str,
            "origin": str,  # web, cli, csv
            "paused_until": str,  # YYYY-MM-DD
        },
        pk="id",
        if_not_exists=True,
    )
    columns = db["subscribers"].columns_dict
    for column in ("siret", "origin", "paused_until"):  # private stores from before the web sign-up
        if column not in columns:
            db["subscribers"].add_column(column, str)
    db["subscribers"].create_index(["name"], unique=True, if_not_exists=True)
    # web sign-ups waiting for their confirmation link to be followed (nothing is active before)
    db["signup_requests"].create(
        {"id": int, "profile": str, "created_at": str, "expires_at": str, "confirmed_at": str},
        pk="id",
        if_not_exists=True,
    )
    db["sent_items"].create(
        {
            "subscriber_id": int,
            "procedure_id": str,
            "signature": str,
            "outbox_id": int,
            "sent_at": str,
            "title": str,  # the tender as the digest named it, for the "pas pour nous" page
            "buyer": str,
        },
        pk=("subscriber_id", "procedure_id"),
        if_not_exists=True,
    )
    # the partnering leads (leads/) each digest offered: each lead is sent once per subscriber
    db["sent_leads"].create(
        {"subscriber_id": int, "lead_key": str, "outbox_id": int, "sent_at": str, "title": str},
        pk=("subscriber_id", "lead_key"),
        if_not_exists=True,
    )
    db["outbox"].create(
        {
            "id": int,
            "subscriber_id": int,
            "created_at": str,
            "state": str,  # pending, sending, sent, failed
            "attempts": int,
            "message_id": str,
            "subject": str,
            "recipients": str,  # JSON list
            "items": int,
            "eml": str,  # the whole message, ready to send
            "sent_at": str,
            "last_error": str,
        },
        pk="id",
        if_not_exists=True,
    )
    db["outbox"].create_index(["state"], if_not_exists=True)
    db["feedback"].create(
        {"id": int, "subscriber_id": int, "procedure_id": str, "reason": str, "created_at": str},
        pk="id",
        if_not_exists=True,
    )
    # one reason per structure and tender: a replayed form changes the reason, never adds a row
    db["feedback"].create_index(["subscriber_id", "procedure_id"], unique=True, if_not_exists=True)
    db["unsubscribes"].create(
        {"id": int, "subscriber_id": int, "how": str, "created_at": str}, pk="id", if_not_exists=True
    )
    db["unsubscribes"].create_index(["subscriber_id"], unique=True, if_not_exists=True)


def open_private(path: str | Path) -> sqlite_utils.Database:
    """Open (creating if needed) the private store at `path`, with its schema."""

    def prepare(db: sqlite_utils.Database) -> None:
        with db.conn:
            _schema(db)

    db = open_store(path, "the private store", prepare)
    with contextlib.suppress(OSError):
        os.chmod(path, 0o600)
    return db


def secret_key(key_file: str | Path) -> bytes:
    """The key that signs the digests' links: WATCH_SECRET_KEY, else the key file (created 0600 if missing)."""
    env = os.environ.get("WATCH_SECRET_KEY", "").strip()
    if env:
        return env.encode()
    path = Path(key_file)
    if not path.exists():
        _write_key(path, secrets.token_urlsafe(32))
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise StoreError(f"{path}: the signing key file is readable by others (mode {mode:o}); chmod 600 it")
    key = path.read_text(encoding="utf-8").strip()
    if len(key) < 16:
        raise StoreError(f"{path}: the signing key is too short (at least 16 characters)")
    return key.encode()


def _write_key(path: Path, key: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process wrote it first: keep theirs
        return
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(key + "\n")


def move_from_archive(archive: sqlite_utils.Database, private: sqlite_utils.Database, key_file: str | Path) -> int:
    """Move the private tables of an archive from before the split into the private store; rows moved."""
    moved = 0
    archive.execute("PRAGMA secure_delete = ON")  # the dropped pages are zeroed, not left readable in the file
    for table in TABLES:
        if not archive[table].exists():
            continue
        rows = list(archive[table].rows)
        if rows:
            with private.conn:  # same ids: a re-run copies nothing twice; of replayed feedback the last reason wins
                if table == "feedback":
                    private[table].insert_all(rows, replace=True)
                else:
                    private[table].insert_all(rows, ignore=True)
            moved += len(rows)
        with archive.conn:
            archive[table].drop()
    if archive["settings"].exists():
        row = archive.execute("select value from settings where key = 'secret_key'").fetchone()
        if row and not os.environ.get("WATCH_SECRET_KEY") and not Path(key_file).exists():
            _write_key(Path(key_file), row[0])  # links already mailed stay valid
        with archive.conn:
            archive["settings"].drop()
    archive.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # nor left in the write-ahead log
    if moved:
        logger.info("private store: moved %d row(s) of subscribers and their mail out of the archive", moved)
    return moved
