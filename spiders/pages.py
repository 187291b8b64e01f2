"""Base spider for buyer platforms and configured sites: polite crawling and breakage reports.

Web pages, unlike APIs, are crawled with robots.txt obeyed, an identifying User-Agent with a contact
address (config crawl.user_agent), a per-domain delay and AutoThrottle; no login form, captcha or
document (DCE) is ever fetched. A layout change must not look like a quiet day: a feed or listing that
returns no item when it had some last time, or pages on which most items miss a required field, is
recorded as a failure of the run (and so reaches `status` and the operators' alarms).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import scrapy
from twisted.python.failure import Failure

from archive.db import now_iso, open_db
from notices.checks import check
from notices.model import Notice
from settings import config as watch_config
from spiders.items import NoticeItem, QuarantineItem

logger = logging.getLogger(__name__)

NOISY = (
    "scrapy.addons",
    "scrapy.core.engine",
    "scrapy.crawler",
    "scrapy.middleware",
    "scrapy.extensions",
    "scrapy.statscollectors",
    "scrapy.utils.log",
    "scrapy.core.downloader",
    "py.warnings",
)


class PageSpider(scrapy.Spider):
    custom_settings = {
        "ROBOTSTXT_OBEY": True,  # web pages: the site's crawling rules apply
        "AUTOTHROTTLE_ENABLED": True,  # back off when the site slows down
        "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
    }

    @classmethod
    def update_settings(cls, settings: Any) -> None:
        super().update_settings(settings)
        cfg = watch_config.load(settings.get("WATCH_CONFIG") or None)
        settings.set("USER_AGENT", cfg["crawl.user_agent"], priority="spider")
        settings.set("DOWNLOAD_DELAY", cfg["platforms.delay"], priority="spider")
        settings.set("AUTOTHROTTLE_START_DELAY", max(cfg["platforms.delay"], 0.1), priority="spider")
        settings.set("RETRY_TIMES", cfg["crawl.retry_times"], priority="spider")
        settings.set("MAX_RETRY_AFTER", cfg["crawl.max_retry_after"], priority="spider")
        settings.set("DOWNLOAD_TIMEOUT", cfg["crawl.timeout"], priority="spider")
        settings.set("LOG_LEVEL", cfg["logging.level"].upper(), priority="spider")

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> PageSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        for name in NOISY:
            logging.getLogger(name).setLevel(logging.WARNING)
        spider.config = watch_config.load(crawler.settings.get("WATCH_CONFIG") or None)
        spider.archive_path = spider.config.resolve_path("archive.path")
        spider.failures = []
        spider.required: dict[str, list[int]] = {}
        return spider

    # -- breakage ------------------------------------------------------------------------------
    def check_count(self, source: str, check: str, count: int, where: str) -> None:
        """Zero items where there were some last time is a failure, not an empty day."""
        db = open_db(self.archive_path)
        try:
            row = db.execute(
                "select value from source_health where source = ? and metric = ?", [source, check]
            ).fetchone()
            previous = row[0] if row else None
            if count == 0 and previous:
                self.fail(
                    f"{source}: {where} returned no item (it had {previous} last time): its layout "
                    "or address may have changed"
                )
            if count:
                with db.conn:
                    db.execute(
                        "insert into source_health (source, metric, value, updated_at) values (?, ?, ?, ?) "
                        "on conflict(source, metric) do update set value = excluded.value, "
                        "updated_at = excluded.updated_at",
                        [source, check, count, now_iso()],
                    )
        finally:
            db.close()

    def count_required(self, source: str, found: dict[str, bool]) -> None:
        """Tally, per source and field, how many items had each required field."""
        for field, ok in found.items():
            tally = self.required.setdefault(f"{source}|{field}", [0, 0])
            tally[0] += int(ok)
            tally[1] += 1

    def closed(self, reason: str) -> None:
        for key, (ok, total) in self.required.items():
            source, field = key.split("|", 1)
            if total >= 3 and ok * 2 < total:
                self.fail(f"{source}: the {field} selector found nothing on {total - ok} of {total} items")

    def fail(self, reason: str) -> None:
        logger.error("%s: %s", self.name, reason)
        self.failures.append((None, reason))

    def request_failed(self, failure: Failure) -> Iterator[Any]:
        request = failure.request
        response = getattr(failure.value, "response", None)
        reason = f"HTTP {response.status}" if response is not None else failure.getErrorMessage()
        self.fail(f"{request.url}: {reason}")
        return iter(())

    # -- items ---------------------------------------------------------------------------------
    def item(self, source: str, build: Callable[[], Notice], raw: dict[str, Any], context: str) -> Any:
        raw_text = json.dumps(raw, ensure_ascii=False, default=str)
        try:
            notice = check(build())
        except ValueError as exc:
            return QuarantineItem(source, None, str(exc), raw_text, context)
        notice.raw = raw_text
        return NoticeItem(notice)
