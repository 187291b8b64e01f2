"""The whole watch once: crawl every enabled source, then every later stage that exists.

Data flows one way: spiders -> archive -> (classify -> alerts / newsletter, in later stages).
"""

from __future__ import annotations

import logging
from datetime import date

from watch.config import Config
from watch.crawl import CrawlResult, enabled_sources, run_crawl

logger = logging.getLogger(__name__)


def run_once(config: Config, *, from_date: date | None = None, until_date: date | None = None) -> list[CrawlResult]:
    results = [run_crawl(config, s, from_date=from_date, until_date=until_date) for s in enabled_sources(config)]
    return results
