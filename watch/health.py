"""Each source's health, from the run history: what `status` prints and what the alarms watch.

- *failing*: its last `alarms.failures` crawls all failed (or were partial);
- *late*: no successful crawl since the scheduled firing before the latest one (one missed or failed
  firing is tolerated: the latest may still be running), or never a successful crawl;
- *ok* otherwise.
Notes, which raise alarms but leave the health as it is: far fewer notices than usual on a publishing day,
a quarantine spike. "Usual" is the median of the same weekday over the last `alarms.usual_weeks` weeks.
"""

from __future__ import annotations

import json
import shutil
import statistics
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlite_utils

from archive.runs import crawl_job, finished_runs
from settings import Config
from watch.crawl import PLATFORM_SPIDERS, enabled_sources
from watch.crons import cron_trigger


@dataclass
class SourceHealth:
    source: str
    state: str  # ok, late, failing
    reason: str
    last_success: str | None
    last_run: dict[str, Any] | None
    failures_in_row: int
    today: dict[str, int]
    usual_new: float | None  # median of the new notices of the same weekday's runs
    published_yesterday: int
    usual_published: float | None  # median notices published on the same weekday
    notes: dict[str, str] = field(default_factory=dict)  # alarm kind -> detail

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def source_health(db: sqlite_utils.Database, config: Config, source: str, now: datetime) -> SourceHealth:
    tz = ZoneInfo(config["schedule.timezone"])
    local = now.astimezone(tz)
    runs = finished_runs(db, crawl_job(source))
    failures = 0
    for run in runs:
        if run["outcome"] == "ok":
            break
        failures += 1
    last_ok = next((r for r in runs if r["outcome"] == "ok"), None)
    due_since = previous_firing(_cron(config, source), config["schedule.timezone"], now)

    late = ""
    if last_ok is None:
        late = "never crawled successfully"
    elif due_since is not None and _instant(last_ok["started"]) < due_since:
        late = f"no successful crawl since the one due at {due_since.astimezone(tz):%Y-%m-%d %H:%M}"
    notes: dict[str, str] = {}
    if failures >= config["alarms.failures"]:
        state, reason = "failing", f"{failures} failed crawls in a row; last error: {runs[0]['error'] or '?'}"
        if late:  # kept as its own incident, so that it does not look recovered while the source fails
            notes["late"] = late
    elif late:
        state, reason = "late", late
    elif failures:  # shown at once; the alarm waits for alarms.failures in a row, so one bad run is no incident
        state = "failed"
        reason = f"the last crawl failed ({failures} of {config['alarms.failures']} before an alarm): "
        reason += runs[0]["error"] or runs[0]["outcome"]
    else:
        state, reason = "ok", ""

    today = _day_runs(runs, local.date(), tz)
    usual_new = _median(
        [_day_runs(runs, local.date() - timedelta(weeks=w), tz) for w in range(1, config["alarms.usual_weeks"] + 1)],
        "new",
    )
    yesterday = local.date() - timedelta(days=1)
    names = _notice_sources(config, source)
    published = _published(db, names, yesterday)
    past = [_published(db, names, yesterday - timedelta(weeks=w)) for w in range(1, config["alarms.usual_weeks"] + 1)]
    past = [n for n in past if n]
    usual_published = statistics.median(past) if past else None

    crawled_since = last_ok is not None and _instant(last_ok["started"]).astimezone(tz).date() > yesterday
    if (
        crawled_since
        and usual_published is not None
        and usual_published >= config["alarms.min_usual"]
        and published < config["alarms.low_ratio"] * usual_published
    ):
        notes["low_volume"] = (
            f"{published} notices published on {yesterday:%A %Y-%m-%d}, usually {usual_published:g} on that weekday"
        )
    if runs:
        last = runs[0]
        quarantined, fetched = last["quarantined"] or 0, last["fetched"] or 0
        if quarantined >= config["alarms.quarantine_min"] and quarantined >= config["alarms.quarantine_share"] * max(
            fetched, 1
        ):
            notes["quarantine_spike"] = (
                f"the crawl started {last['started']} quarantined {quarantined:,} of {fetched:,} records"
            )
    return SourceHealth(
        source=source,
        state=state,
        reason=reason,
        last_success=last_ok["finished"] if last_ok else None,
        last_run=runs[0] if runs else None,
        failures_in_row=failures,
        today=today,
        usual_new=usual_new,
        published_yesterday=published,
        usual_published=usual_published,
        notes=notes,
    )


def all_health(db: sqlite_utils.Database, config: Config, now: datetime | None = None) -> list[SourceHealth]:
    now = now or datetime.now(UTC)
    return [source_health(db, config, s, now) for s in enabled_sources(config)]


def disk_note(config: Config) -> str | None:
    """Free space under the archive, when below alarms.min_free_mb."""
    path = config.resolve_path("archive.path")
    where = path.parent if path.parent.exists() else Path("/")
    free_mb = shutil.disk_usage(where).free // 1_000_000
    if free_mb < config["alarms.min_free_mb"]:
        return f"{free_mb:,} MB free under {where} (alarm below {config['alarms.min_free_mb']:,} MB)"
    return None


def previous_firing(cron: str, timezone: str, now: datetime) -> datetime | None:
    """The scheduled firing before the latest one at or before `now` (None if there is none in 35 days)."""
    trigger = cron_trigger(cron, timezone)
    for window in (timedelta(minutes=10), timedelta(days=1), timedelta(days=8), timedelta(days=35)):
        fires: list[datetime] = []
        t = trigger.get_next_fire_time(None, now - window)
        while t is not None and t <= now:
            fires.append(t)
            t = trigger.get_next_fire_time(t, t + timedelta(microseconds=1))
            if len(fires) > 2:
                fires.pop(0)
        if len(fires) == 2:
            return fires[0]
    return None


def _cron(config: Config, source: str) -> str:
    return config["schedule.jobs"].get(source, config["schedule.cron"])


def _instant(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _day_runs(runs: list[dict[str, Any]], day: date, tz: ZoneInfo) -> dict[str, int]:
    mine = [r for r in runs if _instant(r["started"]).astimezone(tz).date() == day]
    totals = {"runs": len(mine)}
    for key in ("fetched", "new", "updated", "quarantined"):
        totals[key] = sum(r[key] or 0 for r in mine)
    return totals


def _median(days: list[dict[str, int]], key: str) -> float | None:
    values = [d[key] for d in days if d["runs"]]
    return statistics.median(values) if values else None


def _published(db: sqlite_utils.Database, sources: list[str], day: date) -> int:
    return db.execute(
        "select count(*) from notices where source in (select value from json_each(?)) and published = ?",
        [json.dumps(sources), day.isoformat()],
    ).fetchone()[0]


def _notice_sources(config: Config, source: str) -> list[str]:
    """The `source` values of a spider's notices: a platform spider stores each platform's own name."""
    if source in PLATFORM_SPIDERS:
        return [entry["name"] for entry in config[PLATFORM_SPIDERS[source]]]
    return [source]
