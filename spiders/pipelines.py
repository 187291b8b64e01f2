"""The archive pipeline: notices upserted in batches, bad records quarantined, windows and runs recorded."""

from __future__ import annotations

import logging
import time
from typing import Any

from scrapy import signals

from archive import runs
from archive.contracts import ContractStore
from archive.db import open_db
from archive.store import Archive, UpsertCounts
from spiders.items import ContractItem, NoticeItem, QuarantineItem, WindowDone

logger = logging.getLogger(__name__)

BATCH = 500
PROGRESS_EVERY = 30.0  # seconds between two progress lines


class ArchivePipeline:
    """Writes what a spider hands over into the SQLite archive.

    Notices are buffered and written in batches; the buffer is flushed before a window is marked complete,
    so the watermark never passes a notice that is not on disk. A crash loses at most the current batch,
    which the next run reads again (its window is not complete).
    """

    def __init__(self, crawler: Any):
        self.crawler = crawler
        self.buffer: list[Any] = []
        self.contracts: list[Any] = []  # awarded contracts (DECP), written through ContractStore
        self.counts = UpsertCounts()
        self.quarantined = 0
        self.fetched = 0
        self.started = self.last_progress = time.monotonic()
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> ArchivePipeline:
        return cls(crawler)

    def open_spider(self, spider: Any = None) -> None:
        self.archive = Archive(open_db(self.crawler.settings["WATCH_ARCHIVE"]))
        self.contract_store = ContractStore(self.archive.db)
        self.run_id = runs.start_crawl(self.archive.db, self.crawler.spider.name)

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if isinstance(item, NoticeItem):
            self.fetched += 1
            self.buffer.append(item.notice)
            if len(self.buffer) >= BATCH:
                self.flush()
        elif isinstance(item, ContractItem):
            self.fetched += 1
            self.contracts.append(item.contract)
            if len(self.contracts) >= BATCH:
                self.flush()
        elif isinstance(item, QuarantineItem):
            self.fetched += 1
            self.quarantined += 1
            logger.warning("%s: record %s quarantined: %s", item.source, item.source_id or "?", item.error)
            self.archive.quarantine(item.source, item.source_id, item.error, item.raw, item.context)
        elif isinstance(item, WindowDone):
            self.flush()
            moved = self.archive.complete_window(
                item.source,
                item.endpoint,
                item.start,
                item.end,
                item.records,
                final=item.final,
                crawl_from=item.crawl_from,
            )
            if moved:
                logger.info("%s: watermark now %s", item.source, moved)
        return item

    def flush(self) -> None:
        if self.buffer:
            self.counts += self.archive.upsert_notices(self.buffer)
            self.buffer = []
        if self.contracts:
            self.counts += self.contract_store.upsert_contracts(self.contracts)
            self.contracts = []
        now = time.monotonic()
        if now - self.last_progress >= PROGRESS_EVERY:  # long backfills: a line every half minute
            self.last_progress = now
            rate = self.fetched / max(now - self.started, 1e-9)
            logger.info(
                "%s: %s records read so far (%.0f/s): %s new, %s updated, %s quarantined",
                self.crawler.spider.name,
                f"{self.fetched:,}",
                rate,
                f"{self.counts.new:,}",
                f"{self.counts.updated:,}",
                f"{self.quarantined:,}",
            )

    def close_spider(self, spider: Any = None) -> None:
        self.flush()

    def spider_closed(self, spider: Any, reason: str) -> None:
        failures = spider.failures
        stats = self.crawler.stats.get_stats()
        bugs = sum(v for k, v in stats.items() if k.startswith("spider_exceptions/") and k != "spider_exceptions/count")
        if bugs:  # a callback crashed: its window never completes, so the watermark stays; say so
            failures.append((None, f"{bugs} callback error(s), see the log"))
        failed = len(failures)
        if reason != "finished":
            outcome = "interrupted"
        elif failed:
            outcome = "partial" if self.fetched else "failed"
        else:
            outcome = "ok"
        error = "; ".join(r for _, r in failures)[:2000] or None
        runs.finish_run(
            self.archive.db,
            self.run_id,
            outcome,
            fetched=self.fetched,
            new=self.counts.new,
            updated=self.counts.updated,
            unchanged=self.counts.unchanged,
            quarantined=self.quarantined,
            failed_windows=failed,
            error=error,
        )
        logger.info(
            "%s: %s - %s records read: %s new, %s updated, %s unchanged, %s quarantined, %d failure(s)",
            spider.name,
            outcome,
            f"{self.fetched:,}",
            f"{self.counts.new:,}",
            f"{self.counts.updated:,}",
            f"{self.counts.unchanged:,}",
            self.quarantined,
            failed,
        )
        self.archive.db.close()
