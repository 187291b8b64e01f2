"""The whole watch once: crawl every enabled source, then every later stage that exists.

Data flows one way: spiders -> archive -> procedures -> classify -> alerts; the newsletter reads the archive.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import TYPE_CHECKING

from archive import procedures
from archive.db import open_db
from settings import Config
from watch.crawl import CrawlResult, enabled_sources, run_crawl

if TYPE_CHECKING:
    from watch.jobs import JobResult

logger = logging.getLogger(__name__)


def link(config: Config) -> dict[str, int]:
    """Group the archived notices into procedures (one per tender, across sources)."""
    db = open_db(config.resolve_path("archive.path"))
    try:
        counts = procedures.rebuild(db)
    finally:
        db.close()
    summary = ", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "none"
    logger.info("procedures: %s", summary)
    return counts


def classify(config: Config, *, all_notices: bool = False) -> dict[str, int]:
    """Classify what is new or changed in the archive (everything with all_notices)."""
    from classify import from_config
    from classify.archive_run import classify_archive

    classifier = from_config(config)
    db = open_db(config.resolve_path("archive.path"))
    try:
        counts = classify_archive(db, classifier, all_notices=all_notices)
    finally:
        db.close()
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


def run_once(
    config: Config, *, from_date: date | None = None, until_date: date | None = None, as_of: datetime | None = None
) -> tuple[list[CrawlResult], list[JobResult]]:
    """Crawl, link, classify, alert, then check the alarms. `as_of` replays the alerts as of that moment."""
    from watch.jobs import run_job

    crawls = [run_crawl(config, s, from_date=from_date, until_date=until_date) for s in enabled_sources(config)]
    jobs = [run_job(config, "classify"), run_job(config, "alerts", as_of=as_of), run_job(config, "alarms")]
    return crawls, jobs
