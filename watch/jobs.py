"""The watch's jobs and their one runner: each source's crawl, link (procedures), classify (procedures, then
themes), alerts, alarms, the newsletter, the observatory's quarterly report; and the whole watch once.

Every job, whether `serve`, `once` or a CLI command started it, goes through `run_job`: it leaves one row in
the archive's `runs` table (crawls are recorded by the spider's pipeline, or here when the spider never
started; the others here) and one log line with its outcome and counts, so `status`, the alarms and an
operator reading the log all see the same history. A job never raises for serve: a failure is an outcome,
recorded with its error; the CLI asks for the error back (`reraise`) to print it in one line.

Data flows one way: spiders -> archive -> procedures -> classify -> alerts; the newsletter reads the archive.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from archive import procedures, runs, upcoming
from archive.db import open_db
from settings import Config
from watch.crawl import SOURCES, CrawlResult, enabled_sources, run_crawl
from watch.crons import cron_trigger

logger = logging.getLogger("watch.jobs")

# the registry: every job serve runs, in the order of one cycle (alarms checked last), then the weekly newsletter
JOB_NAMES = (*SOURCES, "classify", "alerts", "alarms", "newsletter", "observatory", "contracts", "companies")


# the counts of a job that are columns of `runs` (file loads report what they read like a crawl)
RUN_COLUMNS = ("classified", "emails_sent", "fetched", "new", "updated", "unchanged", "quarantined")


def check_schedule(config: Config) -> None:
    """The schedule's job names and crontab lines, parsed as serve will: a ConfigError naming the key."""
    crons = {
        "schedule.cron": config["schedule.cron"],
        "newsletter.cron": config["newsletter.cron"],
        "companies.cron": config["companies.cron"],
        "observatory.cron": config["observatory.cron"],
    }
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
    crawl: CrawlResult | None = None  # a crawl's own result (its exit code and recorded run)
    output: list[str] = field(default_factory=list)  # what the command prints (the newsletter's files)

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
    jobs.append(("newsletter", overrides.get("newsletter", config["newsletter.cron"])))
    jobs.append(("observatory", overrides.get("observatory", config["observatory.cron"])))
    if config["companies.files"]:  # the register files, reloaded after their monthly publication
        jobs.append(("companies", overrides.get("companies", config["companies.cron"])))
    if "contracts" in overrides:  # classify links and classifies contracts each cycle; this is extra
        jobs.append(("contracts", overrides["contracts"]))
    return jobs


@dataclass
class Done:
    """What a recorded job's work returns: its outcome, counts, error, and what the CLI prints."""

    outcome: str = "ok"
    counts: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    output: list[str] = field(default_factory=list)


Work = Callable[..., Done]


def run_job(config: Config, name: str, *, detach: bool = False, reraise: bool = False, **options: Any) -> JobResult:
    """Run one job, record its run, log one line; `options` go to the job (crawl: from_date, until_date;
    classify: all_notices; alerts: as_of, which replays the alerts as of that moment; alarms: now; newsletter:
    week, formats, out, mail). `detach` (serve) puts a crawl in its own session. With `reraise` (the CLI) a
    job that raised is recorded as failed and its exception raised again."""
    started = time.monotonic()
    if name in SOURCES:
        result = _crawl(config, name, detach, **options)
    elif name in _WORK:
        result = _recorded(config, name, _WORK[name], options, reraise)
    else:
        raise ValueError(f"unknown job {name!r} (known: {', '.join((*SOURCES, *_WORK))})")
    result.seconds = time.monotonic() - started
    (logger.info if result.ok else logger.error)("%s", result.line())
    return result


def run_once(
    config: Config, *, from_date: date | None = None, until_date: date | None = None, as_of: datetime | None = None
) -> tuple[list[CrawlResult], list[JobResult]]:
    """Crawl every enabled source, then classify, alert, and check the alarms. `as_of` replays the alerts as
    of that moment. The crawls' own results come first, then the later jobs'."""
    crawls = [run_job(config, s, from_date=from_date, until_date=until_date) for s in enabled_sources(config)]
    jobs = [run_job(config, "classify"), run_job(config, "alerts", as_of=as_of), run_job(config, "alarms")]
    return [c.crawl for c in crawls if c.crawl is not None], jobs


def _crawl(config: Config, source: str, detach: bool, **options: Any) -> JobResult:
    crawl = run_crawl(config, source, detach=detach, **options)
    if crawl.run is None:
        if crawl.exit_code == 0:
            return JobResult(source, "skipped", error="nothing configured", crawl=crawl)
        return JobResult(source, "failed", error=crawl.error, crawl=crawl)
    run = crawl.run
    counts = {k: run[k] or 0 for k in ("fetched", "new", "updated", "quarantined")}
    return JobResult(source, run["outcome"], counts, run["error"], crawl=crawl)


def _recorded(config: Config, name: str, work: Work, options: dict[str, Any], reraise: bool) -> JobResult:
    raised: Exception | None = None
    with open_db(config.resolve_path("archive.path")) as db:
        run_id = runs.start_run(db, name)
        try:
            done = work(config, **options)
        except Exception as exc:  # a job failure is recorded and logged; the service goes on
            if not reraise:
                logger.exception("job %s failed", name)
            done, raised = Done("failed", error=f"{type(exc).__name__}: {exc}"[:2000]), exc
        columns = {k: v for k, v in done.counts.items() if k in RUN_COLUMNS}
        runs.finish_run(db, run_id, done.outcome, error=done.error, **columns)
    if raised is not None and reraise:
        raise raised
    return JobResult(name, done.outcome, done.counts, done.error, output=done.output)


def link(config: Config) -> dict[str, int]:
    """Group the archived notices into procedures (one per tender, across sources)."""
    with open_db(config.resolve_path("archive.path")) as db:
        counts = procedures.rebuild(db)
        announced = upcoming.link(db)  # which call each upcoming purchase became
    summary = ", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "none"
    logger.info("procedures: %s", summary)
    logger.info(
        "upcoming purchases: %(upcoming)d, %(linked)d linked to their call (%(new)d new, %(dropped)d dropped)",
        announced,
    )
    return counts


def classify(config: Config, *, all_notices: bool = False) -> dict[str, int]:
    """Classify what is new or changed in the archive (everything with all_notices)."""
    from classify import from_config
    from classify.archive_run import classify_archive

    classifier = from_config(config)
    with open_db(config.resolve_path("archive.path")) as db:
        counts = classify_archive(db, classifier, all_notices=all_notices)
    logger.info(
        "classify: %s notices classified (%s with a theme, %s reserved, %s with an insertion clause, %s tied to %s)",
        counts["classified"],
        counts["with_theme"],
        counts["reserved_contract"],
        counts["insertion_clause"],
        counts["event"],
        config["event.name"] or "no event",
    )
    return counts


def contracts(config: Config, *, relink: bool = False, all_contracts: bool = False) -> dict[str, int]:
    """Link the awarded contracts (DECP) to the procedures, then put them on the themes (new or changed ones,
    or all of them)."""
    from archive.contract_links import link_contracts
    from classify import from_config
    from classify.contracts import classify_contracts

    with open_db(config.resolve_path("archive.path")) as db:
        if not db.execute("select 1 from contracts limit 1").fetchone():
            return {}
        links = link_contracts(db, relink=relink)
        counts = classify_contracts(db, from_config(config), all_contracts=all_contracts)
    linked = links["reference"] + links["buyer_object_date"]
    logger.info(
        "contracts: %s newly linked to a notice (%s by reference, %s by buyer, object and date; %s ambiguous), "
        "%s classified (%s with a theme)",
        linked,
        links["reference"],
        links["buyer_object_date"],
        links["ambiguous"],
        counts["contracts_classified"],
        counts["contracts_with_theme"],
    )
    return {"contracts_linked": linked, **counts}


def _contracts(
    config: Config, *, files: list[Path] | None = None, relink: bool = False, all_contracts: bool = False
) -> Done:
    """Load DECP files first when given; then link the contracts to the procedures as they are now, and
    classify them."""
    counts: dict[str, int] = {}
    errors: list[str] = []
    if files:
        from watch.files import load_contract_files

        with open_db(config.resolve_path("archive.path")) as db:
            loaded = load_contract_files(db, files)
        counts = {"fetched": loaded.read, "new": loaded.counts.new, "updated": loaded.counts.updated}
        counts.update(unchanged=loaded.counts.unchanged, quarantined=loaded.quarantined)
        errors = loaded.errors
    procedures = link(config)
    counts = {**counts, "procedures": sum(procedures.values())}
    counts.update(contracts(config, relink=relink, all_contracts=all_contracts))
    if errors:
        return Done("partial" if counts.get("fetched") else "failed", counts, "; ".join(errors)[:2000])
    return Done(counts=counts)


def _companies(
    config: Config, *, files: list[tuple[str | None, Path]] | None = None, winners_only: bool | None = None
) -> Done:
    """Reload the companies register from `companies.files` (or the given files)."""
    from watch.companies import configured_files, load_files

    files = configured_files(config) if files is None else files
    if not files:
        return Done("skipped", error="no register file configured (companies.files)")
    only = config["companies.winners_only"] if winners_only is None else winners_only
    with open_db(config.resolve_path("archive.path")) as db:
        result = load_files(db, files, winners_only=only)
    counts = {"companies": result.companies, "fetched": result.read, "skipped": result.skipped}
    if result.errors:
        outcome = "partial" if len(result.errors) < len(files) else "failed"
        return Done(outcome, counts, "; ".join(result.errors)[:2000])
    return Done(counts=counts)


def _link(config: Config) -> Done:
    return Done(counts={"procedures": sum(link(config).values())})


def _classify(config: Config, *, all_notices: bool = False) -> Done:
    """Procedures first (alerts read tenders), then themes, flags and event."""
    procedures = link(config)
    counts = classify(config, all_notices=all_notices)
    awarded = contracts(config, all_contracts=all_notices)  # awarded contracts (DECP): linked, then themes
    return Done(counts={"procedures": sum(procedures.values()), "classified": counts["classified"], **awarded})


def _alerts(config: Config, *, as_of: datetime | None = None) -> Done:
    from alerts.run import run_alerts

    counts = run_alerts(config, now=as_of)
    out = {"digests": counts["digests"], "emails_sent": counts["sent"], "pending": counts["pending"]}
    if counts["failed"]:
        return Done("partial", out, f"{counts['failed']} digest(s) not delivered, kept in the outbox")
    return Done(counts=out)


def _alarms(config: Config, *, now: datetime | None = None) -> Done:
    from watch.alarms import check_alarms

    return Done(counts=check_alarms(config, now))


def _newsletter(
    config: Config,
    *,
    week: str | None = None,
    formats: tuple[str, ...] | None = None,
    out: Path | None = None,
    mail: bool = True,
) -> Done:
    """Compile the week (default: the last complete one) and, with `mail`, send the draft to the editors."""
    from newsletter.render import FORMATS
    from newsletter.run import build_issue, compile_newsletter, mail_to_editors, week_or_last

    week = week_or_last(week)
    issue = build_issue(config, week)  # compiled once: written in every format, and mailed
    paths = compile_newsletter(config, week, formats or FORMATS, out, issue=issue)
    sent = mail_to_editors(config, week, issue=issue) if mail else 0
    return Done(counts={"emails_sent": sent}, output=[str(p) for p in paths])


def _observatory(
    config: Config,
    *,
    period: str | None = None,
    scope: str | None = None,
    by: str | None = None,
    out: Path | None = None,
    buyer: str | None = None,
    theme: str | None = None,
    departement: str | None = None,
) -> Done:
    """The observatory's report (default: the quarter just closed; without `scope`, every scope: all
    contracts and the configured event's)."""
    from observatory.run import scopes, write_report

    paths = []
    for name in [scope] if scope else scopes(config):
        paths += write_report(
            config, period, scope=name, by=by, out=out, buyer=buyer, theme=theme, departement=departement
        )
    return Done(counts={"reports": len(paths) // 2}, output=[str(p) for p in paths])


_WORK: dict[str, Work] = {
    "link": _link,
    "classify": _classify,
    "alerts": _alerts,
    "alarms": _alarms,
    "newsletter": _newsletter,
    "observatory": _observatory,
    "contracts": _contracts,
    "companies": _companies,
}
