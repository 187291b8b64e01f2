"""`run_watch.py status`: each source's health for an operator or a monitoring probe (exit code 1 when a
source is late or failing)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlite_utils

from archive import runs
from settings import Config
from watch.alarms import KINDS
from watch.health import all_health, disk_note


def collect_status(db: sqlite_utils.Database, config: Config, now: datetime | None = None) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    sources = [h.as_dict() for h in all_health(db, config, now)]
    jobs = {job: run for job in ("classify", "alerts", "newsletter") if (run := runs.last_run(db, job))}
    incidents = [{k: i[k] for k in ("source", "kind", "detail", "opened_at")} for i in runs.open_incidents(db)]
    return {
        "healthy": all(s["state"] == "ok" for s in sources),
        "sources": sources,
        "jobs": jobs,
        "disk": disk_note(config),
        "open_incidents": incidents,
    }


def render_status(status: dict[str, Any]) -> str:
    columns = ("source", "health", "last success", "runs today", "read", "new", "usual new")
    lines = ["{:<8} {:<8} {:<26} {:>10} {:>8} {:>7} {:>9}".format(*columns)]
    for s in status["sources"]:
        today = s["today"]
        usual = "-" if s["usual_new"] is None else f"{s['usual_new']:g}"
        lines.append(
            f"{s['source']:<8} {s['state']:<8} {s['last_success'] or 'never':<26} {today['runs']:>10} "
            f"{today['fetched']:>8,} {today['new']:>7,} {usual:>9}"
        )
        if s["reason"]:
            lines.append(f"{'':<8} {s['state']}: {s['reason']}")
        for kind, detail in s["notes"].items():
            lines.append(f"{'':<8} note: {KINDS[kind]}: {detail}")
    for job, run in status["jobs"].items():
        error = f" - {run['error']}" if run["error"] else ""
        lines.append(f"job {job}: last {run['outcome']} at {run['started']}{error}")
    if status["disk"]:
        lines.append(f"disk: {status['disk']}")
    if status["open_incidents"]:
        lines.append("open incidents:")
        for i in status["open_incidents"]:
            lines.append(f"  {i['source']} {KINDS[i['kind']]} since {i['opened_at']}: {i['detail']}")
    lines.append("healthy" if status["healthy"] else "UNHEALTHY: a source is late or failing")
    return "\n".join(lines)
