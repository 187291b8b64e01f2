"""Runs and incidents: the history of every job and the breakage alarms, the one place that speaks their SQL.

A run is a row of `runs`: a job (a source's crawl is the job `crawl_job(source)`, the others by their name),
started and finished, with its outcome, counts and error. A run left `running` by a process that died is
closed as interrupted at the next start of any job (same host) or, by serve, a day later. An incident is a
row of `incidents`: a (source, kind) problem, opened, maybe resolved, and whether the operators were told.
Rows are returned as dicts of the table's columns (what `status --json` prints).
"""

from __future__ import annotations

import os
import socket
from typing import Any

import sqlite_utils

from archive.db import now_iso

Row = dict[str, Any]

_HOST = socket.gethostname()
_DIED = "the process ended without recording an outcome"


def crawl_job(source: str) -> str:
    """The job name of a source's crawl in the run history."""
    return f"crawl:{source}"


# -- runs ------------------------------------------------------------------------------------------
def start_run(db: sqlite_utils.Database, job: str) -> int:
    """Record a job starting in this process; runs whose process is gone are closed first."""
    close_dead_runs(db)
    with db.conn:
        row = {"job": job, "started": now_iso(), "outcome": "running", "pid": os.getpid(), "host": _HOST}
        table = db["runs"].insert(row)
    return int(table.last_pk)


def start_crawl(db: sqlite_utils.Database, source: str) -> int:
    """Record a source's crawl starting (what the spiders' archive pipeline calls)."""
    return start_run(db, crawl_job(source))


def finish_run(db: sqlite_utils.Database, run_id: int, outcome: str, **counts: Any) -> None:
    """Record a run's outcome, counts (columns of `runs`: fetched, new, classified, emails_sent...) and error."""
    with db.conn:
        db["runs"].update(run_id, {"finished": now_iso(), "outcome": outcome, **counts})


def record_run(db: sqlite_utils.Database, job: str, outcome: str, **counts: Any) -> int:
    """A run started and finished at once (a crawl that never reached its spider)."""
    run_id = start_run(db, job)
    finish_run(db, run_id, outcome, **counts)
    return run_id


def close_dead_runs(db: sqlite_utils.Database) -> int:
    """Runs still 'running' whose process (on this host) no longer exists: killed before it could record
    an outcome. Closed as interrupted at the next start of any job, not a day later."""
    rows = db.execute(
        "select id, pid from runs where outcome = 'running' and pid is not null and host = ?", [_HOST]
    ).fetchall()
    dead = [run_id for run_id, pid in rows if not _alive(pid)]
    if dead:
        with db.conn:
            db.conn.executemany(
                "update runs set outcome = 'interrupted', finished = ?, error = ? where id = ?",
                [(now_iso(), _DIED, run_id) for run_id in dead],
            )
    return len(dead)


def close_stale_runs(db: sqlite_utils.Database, started_before: str) -> int:
    """Runs still 'running' long after they began: their process died (SIGKILL, power cut) before it
    could record an outcome. Marked interrupted, so the history does not show them running forever."""
    with db.conn:
        return db.execute(
            "update runs set outcome = 'interrupted', finished = ?, error = ? "
            "where outcome = 'running' and started < ?",
            [now_iso(), _DIED, started_before],
        ).rowcount


def last_run_id(db: sqlite_utils.Database, job: str) -> int:
    """The id of the job's latest run (0 when it never ran)."""
    return db.execute("select max(id) from runs where job = ?", [job]).fetchone()[0] or 0


def run_after(db: sqlite_utils.Database, job: str, after_id: int) -> Row | None:
    """The job's latest run recorded after run `after_id` (what a crawl subprocess recorded), if any."""
    rows = list(db.query("select * from runs where job = ? and id > ? order by id desc limit 1", [job, after_id]))
    return rows[0] if rows else None


def last_run(db: sqlite_utils.Database, job: str) -> Row | None:
    return run_after(db, job, 0)


def finished_runs(db: sqlite_utils.Database, job: str, limit: int = 200) -> list[Row]:
    """The job's last finished runs (not running), latest first."""
    return list(
        db.query("select * from runs where job = ? and outcome != 'running' order by id desc limit ?", [job, limit])
    )


def latest_runs(db: sqlite_utils.Database, limit: int = 5) -> list[Row]:
    """The last runs of any job, latest first, with their counts."""
    return list(
        db.query(
            "select job, started, finished, outcome, fetched, new, updated, quarantined from runs "
            "order by id desc limit ?",
            [limit],
        )
    )


# -- quarantine ------------------------------------------------------------------------------------
def quarantine_count(db: sqlite_utils.Database) -> int:
    return db.execute("select count(*) from quarantine").fetchone()[0]


def latest_quarantined(db: sqlite_utils.Database, limit: int = 5) -> list[Row]:
    """The records last quarantined: source, source_id, error, last_seen."""
    return list(
        db.query("select source, source_id, error, last_seen from quarantine order by last_seen desc limit ?", [limit])
    )


# -- incidents -------------------------------------------------------------------------------------
def open_incidents(db: sqlite_utils.Database) -> list[Row]:
    """Incidents not resolved yet, oldest first."""
    return list(db.query("select * from incidents where resolved_at is null order by id"))


def open_incident(db: sqlite_utils.Database, source: str, kind: str, detail: str) -> int:
    with db.conn:
        return int(
            db["incidents"].insert({"source": source, "kind": kind, "detail": detail, "opened_at": now_iso()}).last_pk
        )


def resolve_incident(db: sqlite_utils.Database, incident_id: int) -> None:
    mark_incident(db, incident_id, "resolved_at")


def mark_incident(db: sqlite_utils.Database, incident_id: int, *columns: str) -> None:
    """Set the incident's timestamp columns (resolved_at, notified_at, recovery_notified_at) to now."""
    with db.conn:
        db["incidents"].update(incident_id, dict.fromkeys(columns, now_iso()))


def alarms_to_notify(db: sqlite_utils.Database) -> list[Row]:
    """Incidents the operators were not told of yet."""
    return list(db.query("select * from incidents where notified_at is null order by id"))


def recoveries_to_notify(db: sqlite_utils.Database) -> list[Row]:
    """Resolved incidents whose opening was told and whose recovery was not."""
    return list(
        db.query(
            "select * from incidents where resolved_at is not null and notified_at is not null "
            "and recovery_notified_at is null order by id"
        )
    )


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True
