"""The watch's jobs: each source's crawl, classify (procedures, then themes), alerts, the newsletter.

Every job leaves one row in the archive's `runs` table (crawls are recorded by the spider's pipeline, the
others here) and one log line with its outcome and counts, so `status`, the alarms and an operator reading
the log all see the same history. A job never raises: a failure is an outcome, recorded with its error.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from archive.db import open_db
from archive.store import Archive
from settings import Config
from watch.crawl import SOURCES, enabled_sources, run_crawl

logger = logging.getLogger("watch.jobs")

# the registry: every job serve runs, in the order of one cycle (alarms checked last), then the weekly newsletter
JOB_NAMES = (*SOURCES, "classify", "alerts", "alarms", "newsletter")


def cron_trigger(value: str, timezone: str | None = None) -> Any:
    """A crontab line as an APScheduler trigger: 5 fields, or 6 with seconds first (for trials and tests)."""
    from apscheduler.triggers.cron import CronTrigger

    fields = str(value).split()
    if len(fields) == 6:
        second, minute, hour, day, month, day_of_week = fields
        return CronTrigger(
            second=second, minute=minute, hour=hour, day=day, month=month, day_of_week=day_of_week, timezone=timezone
        )
    if len(fields) != 5:
        raise ValueError(f"expected 5 fields (or 6 with seconds first), got {len(fields)}")
    return CronTrigger.from_crontab(str(value), timezone=timezone)


def check_schedule(config: Config) -> None:
    """The schedule's job names and crontab lines, parsed as serve will: a ConfigError naming the key."""
    crons = {"schedule.cron": config["schedule.cron"], "newsletter.cron": config["newsletter.cron"]}
    for name, cron in config["schedule.jobs"].items():
        if name not in JOB_NAMES:
            raise config.error(f"schedule.jobs.{name}", f"unknown job (expected one of: {', '.join(JOB_NAMES)})")
        crons[f"schedule.jobs.{name}"] = cron
    for dotted, cron in crons.items():
        try:
            cron_trigger(cron, config["schedule.timezone"])
        except ValueError as exc:
            raise config.error(dotted, f"not a valid crontab expression ({exc})") from None


@dataclass
class JobResult:
    name: str
    outcome: str  # ok, partial, failed, skipped
    counts: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.outcome in ("ok", "skipped")

    def line(self) -> str:
        counts = ", ".join(f"{k} {v:,}" for k, v in self.counts.items())
        text = f"job {self.name}: {self.outcome} in {self.seconds:.1f}s"
        if counts:
            text += f" - {counts}"
        if self.error:
            text += f" - {self.error}"
        return text


def scheduled_jobs(config: Config) -> list[tuple[str, str]]:
    """(job, cron) of every job `serve` schedules, in cycle order."""
    overrides = config["schedule.jobs"]
    cycle = (*enabled_sources(config), "classify", "alerts", "alarms")
    jobs = [(name, overrides.get(name, config["schedule.cron"])) for name in cycle]
    return [*jobs, ("newsletter", overrides.get("newsletter", config["newsletter.cron"]))]


def run_job(config: Config, name: str, *, detach: bool = False, as_of: datetime | None = None) -> JobResult:
    """Run one job, record it, log one line. `as_of` replays alerts as of that moment (the demo)."""
    started = time.monotonic()
    if name in SOURCES:
        result = _crawl(config, name, detach)
    elif name == "classify":
        result = _recorded(config, name, _classify)
    elif name == "alerts":
        result = _recorded(config, name, lambda c: _alerts(c, as_of))
    elif name == "newsletter":
        result = _recorded(config, name, _newsletter)
    elif name == "alarms":
        result = _alarms(config)
    else:
        raise ValueError(f"unknown job {name!r} (known: {', '.join(JOB_NAMES)})")
    result.seconds = time.monotonic() - started
    (logger.info if result.ok else logger.error)("%s", result.line())
    return result


def _crawl(config: Config, source: str, detach: bool) -> JobResult:
    crawl = run_crawl(config, source, detach=detach)
    if crawl.run is None:
        if crawl.exit_code == 0:
            return JobResult(source, "skipped", error="nothing configured")
        return JobResult(source, "failed", error=crawl.error)
    run = crawl.run
    counts = {k: run[k] or 0 for k in ("fetched", "new", "updated", "quarantined")}
    return JobResult(source, run["outcome"], counts, run["error"])


def _recorded(config: Config, name: str, work: Callable[[Config], tuple[str, dict[str, int], str | None]]) -> JobResult:
    db = open_db(config.resolve_path("archive.path"))
    try:
        archive = Archive(db)
        run_id = archive.start_run(name)
        try:
            outcome, counts, error = work(config)
        except Exception as exc:  # a job failure is recorded and logged; the service goes on
            logger.exception("job %s failed", name)
            outcome, counts, error = "failed", {}, f"{type(exc).__name__}: {exc}"[:2000]
        columns = {k: v for k, v in counts.items() if k in ("classified", "emails_sent")}
        archive.finish_run(run_id, outcome, error=error, **columns)
    finally:
        db.close()
    return JobResult(name, outcome, counts, error)


def _classify(config: Config) -> tuple[str, dict[str, int], str | None]:
    from watch.pipeline import classify, link

    procedures = link(config)
    counts = classify(config)
    return "ok", {"procedures": sum(procedures.values()), "classified": counts["classified"]}, None


def _alerts(config: Config, as_of: datetime | None) -> tuple[str, dict[str, int], str | None]:
    from alerts.run import run_alerts

    counts = run_alerts(config, now=as_of)
    out = {"digests": counts["digests"], "emails_sent": counts["sent"], "pending": counts["pending"]}
    if counts["failed"]:
        return "partial", out, f"{counts['failed']} digest(s) not delivered, kept in the outbox"
    return "ok", out, None


def _alarms(config: Config) -> JobResult:
    """Not a recorded run: its history is the incidents table."""
    from watch.alarms import check_alarms

    try:
        return JobResult("alarms", "ok", check_alarms(config))
    except Exception as exc:  # e.g. the archive is unreadable: said, and the service goes on
        logger.exception("job alarms failed")
        return JobResult("alarms", "failed", error=f"{type(exc).__name__}: {exc}")


def _newsletter(config: Config) -> tuple[str, dict[str, int], str | None]:
    from newsletter.run import mail_to_editors

    return "ok", {"emails_sent": mail_to_editors(config)}, None
