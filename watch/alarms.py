"""Breakage alarms: an incident per (source, kind), mailed to the operators once when it opens and once
when it recovers.

Incidents live in the archive (`incidents`), so a restart neither repeats an alarm nor forgets one. A mail
that cannot be sent stays due and is retried at the next check; nothing is lost. Operators' mails are
plain text; source names come from the configuration, error details (which may quote a server) only go
in the body, never in a header.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import sqlite_utils

from archive import runs
from archive.db import open_db
from mail import message as mail_message
from mail.transport import send_message, transport_from
from settings import Config
from watch.health import all_health, disk_note

logger = logging.getLogger("watch.alarms")

KINDS = {
    "failing": "failing",
    "late": "late",
    "low_volume": "far fewer notices than usual",
    "quarantine_spike": "quarantine spike",
    "disk_space": "disk space low",
}


def current_problems(db: sqlite_utils.Database, config: Config, now: datetime) -> dict[tuple[str, str], str]:
    """(source, kind) -> detail, for every problem that holds now."""
    problems: dict[tuple[str, str], str] = {}
    for health in all_health(db, config, now):
        if health.state not in ("ok", "failed"):  # "failed": shown by status, alarmed only when it repeats
            problems[(health.source, health.state)] = health.reason
        for kind, detail in health.notes.items():
            problems[(health.source, kind)] = detail
    disk = disk_note(config)
    if disk:
        problems[("archive", "disk_space")] = disk
    return problems


def check_alarms(config: Config, now: datetime | None = None) -> dict[str, int]:
    """Open and resolve incidents from the current problems; mail what the operators were not told yet."""
    now = now or datetime.now(UTC)
    with open_db(config.resolve_path("archive.path")) as db:
        problems = current_problems(db, config, now)
        opened, resolved = _sync_incidents(db, problems)
        sent = _notify(db, config)
    return {"opened": opened, "resolved": resolved, "mailed": sent}


def _sync_incidents(db: sqlite_utils.Database, problems: dict[tuple[str, str], str]) -> tuple[int, int]:
    open_rows = {(r["source"], r["kind"]): r for r in runs.open_incidents(db)}
    opened = resolved = 0
    for (source, kind), detail in problems.items():
        if (source, kind) in open_rows:
            continue
        logger.error("ALARM %s: %s - %s", source, KINDS[kind], detail)
        runs.open_incident(db, source, kind, detail)
        opened += 1
    for key, row in open_rows.items():
        if key in problems:
            continue
        logger.warning("RECOVERED %s: %s (since %s)", key[0], KINDS[key[1]], row["opened_at"])
        runs.resolve_incident(db, row["id"])
        resolved += 1
    return opened, resolved


def _notify(db: sqlite_utils.Database, config: Config) -> int:
    operators = config["alarms.operators"]
    due_alarms = runs.alarms_to_notify(db)
    due_recoveries = runs.recoveries_to_notify(db)
    if not operators or not (due_alarms or due_recoveries):
        return 0
    transport = transport_from(config)
    sent = 0
    try:
        for row in due_alarms:
            if row["resolved_at"]:  # over before anyone was told: nothing to say
                runs.mark_incident(db, row["id"], "notified_at", "recovery_notified_at")
                continue
            if _send(transport, config, operators, row, recovered=False):
                runs.mark_incident(db, row["id"], "notified_at")
                sent += 1
        for row in due_recoveries:
            if _send(transport, config, operators, row, recovered=True):
                runs.mark_incident(db, row["id"], "recovery_notified_at")
                sent += 1
    finally:
        transport.close()
    return sent


def _send(transport: Any, config: Config, operators: list[str], incident: dict[str, Any], *, recovered: bool) -> bool:
    msg = alarm_message(config, operators, incident, recovered=recovered)
    try:
        send_message(transport, msg, operators)
    except Exception as exc:  # kept due; the next check retries
        logger.error(
            "alarm mail for %s/%s not sent (retried at the next check): %s", incident["source"], incident["kind"], exc
        )
        return False
    logger.info(
        "%s mailed to %d operator(s): %s %s",
        "recovery" if recovered else "alarm",
        len(operators),
        incident["source"],
        incident["kind"],
    )
    return True


def alarm_message(config: Config, operators: list[str], incident: dict[str, Any], *, recovered: bool) -> EmailMessage:
    what = KINDS[incident["kind"]]
    state = "RECOVERED" if recovered else "ALARM"
    lines = [
        f"Source: {incident['source']}",
        f"Problem: {what}",
        f"Since: {incident['opened_at']}",
    ]
    if recovered:
        lines.append(f"Recovered: {incident['resolved_at']}")
    lines += ["", f"Detail: {incident['detail']}", "", "On the server: .venv/bin/python run_watch.py status"]
    if not recovered:
        lines.append("The log (logging.file) has each job's line; `run_watch.py stats` shows the quarantine.")
    return mail_message.build(
        kind="alarm",
        sender=config["alerts.sender"],
        to=operators,
        subject=f"[ESS watch] {state}: {incident['source']} {what}",
        text="\n".join(lines) + "\n",
    )
