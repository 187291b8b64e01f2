"""`backup` and `prune`: keeping the archive safe and its size in check while the watch runs."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlite_utils

from archive.db import open_db
from settings import WatchError

logger = logging.getLogger("watch.maintenance")


class MaintenanceError(WatchError, RuntimeError):
    """A backup or prune that cannot be done: the message says why."""


@contextmanager
def _said() -> Iterator[None]:
    """A database error during maintenance (a full disk, a locked file) as a MaintenanceError with its text."""
    try:
        yield
    except sqlite3.Error as exc:
        raise MaintenanceError(str(exc)) from exc


def backup(archive: Path, target: Path) -> dict[str, int]:
    """A consistent copy of the archive, taken online (`VACUUM INTO` reads one snapshot while crawls write),
    then opened and checked. Refuses to overwrite a file."""
    if target.exists():
        raise MaintenanceError(f"{target} exists: backup never overwrites, choose a new name")
    if not target.parent.is_dir():
        raise MaintenanceError(f"{target.parent} is not a directory")
    with _said(), open_db(archive) as db:
        db.execute("VACUUM INTO ?", [str(target)])
    with _said(), sqlite_utils.Database(target) as copy:
        check = copy.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise MaintenanceError(f"{target}: the copy fails its check: {check}")
        notices = copy.execute("select count(*) from notices").fetchone()[0]
    size = target.stat().st_size
    logger.info("backup: %s -> %s (%s notices, %.1f MB)", archive, target, f"{notices:,}", size / 1e6)
    return {"notices": notices, "bytes": size}


def prune(archive: Path, days: int, *, now: datetime | None = None) -> int:
    """Drop raw source payloads (notices' and contracts') fetched more than `days` ago; the notices, the
    contracts and the quarantine are kept."""
    cutoff = ((now or datetime.now(UTC)) - timedelta(days=days)).isoformat(timespec="seconds")
    with _said(), open_db(archive) as db:
        with db.conn:
            dropped = db.execute("delete from raw_records where fetched_at < ?", [cutoff]).rowcount
            dropped += db.execute("delete from contract_raw where fetched_at < ?", [cutoff]).rowcount
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    logger.info("prune: %s raw payloads fetched before %s dropped (notices kept)", f"{dropped:,}", cutoff)
    return dropped
