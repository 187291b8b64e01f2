"""The whole watch once: crawl every enabled source, then every later stage that exists.

Data flows one way: spiders -> archive -> procedures -> (classify -> alerts / newsletter, later stages).
"""

from __future__ import annotations

import logging
from datetime import date

from archive import procedures
from archive.db import open_db
from watch.config import Config
from watch.crawl import CrawlResult, enabled_sources, run_crawl

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


def run_once(config: Config, *, from_date: date | None = None, until_date: date | None = None) -> list[CrawlResult]:
    results = [run_crawl(config, s, from_date=from_date, until_date=until_date) for s in enabled_sources(config)]
    link(config)
    return results
