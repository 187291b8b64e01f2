"""The archive's crawl state around a spider: where a windowed spider resumes, what a page spider counted.

On `spider_opened`, a windowed spider (BOAMP, TED) is told the archive's watermark for its endpoint, so it
reads from the day after it; a page spider is given the counts of its last run (`source_health`), so a
listing that suddenly returns nothing is a failure and not a quiet day. On `spider_closed`, the counts a
page spider made are recorded. Notices, quarantine, windows and runs are the pipeline's
(spiders.pipelines). Off (NotConfigured) when no archive is set (`WATCH_ARCHIVE`, from the watch add-on).
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

from archive.db import now_iso, open_db
from archive.store import Archive
from spiders.base import WindowedSpider
from spiders.pages import PageSpider

logger = logging.getLogger(__name__)


class ArchiveState:
    def __init__(self, path: str):
        self.path = path

    @classmethod
    def from_crawler(cls, crawler: Any) -> ArchiveState:
        path = crawler.settings.get("WATCH_ARCHIVE")
        if not path:
            raise NotConfigured("WATCH_ARCHIVE is not set")
        extension = cls(path)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Any) -> None:
        archive = Archive(open_db(self.path))
        try:
            if isinstance(spider, WindowedSpider):
                spider.resume_after(archive.watermark(spider.source, spider.endpoint))
            if isinstance(spider, PageSpider):
                rows = archive.db.execute("select source, metric, value from source_health")
                spider.previous_health = {(source, metric): value for source, metric, value in rows}
        finally:
            archive.db.close()

    def spider_closed(self, spider: Any, reason: str) -> None:
        health = getattr(spider, "health", None)
        if not health:
            return
        db = open_db(self.path)
        try:
            with db.conn:
                db.conn.executemany(
                    "insert into source_health (source, metric, value, updated_at) values (?, ?, ?, ?) "
                    "on conflict(source, metric) do update set value = excluded.value, "
                    "updated_at = excluded.updated_at",
                    [(source, metric, count, now_iso()) for (source, metric), count in health.items()],
                )
        finally:
            db.close()
