"""Base spider for sources read by publication-date windows, with a watermark kept in the archive.

What every such source shares lives here: the `from_date`/`until_date` arguments (default: from the day
after the watermark), deployment settings from config.yaml, windows split at today (today's notices are
read but the day is not over, so it never moves the watermark), a tracker that knows when every request
of a window has been handled, retries of truncated or invalid bodies, and the mapping of records to
archive items (a record that cannot be mapped goes to quarantine; the crawl goes on).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from archive.db import open_db
from archive.store import Archive, today_paris
from notices.checks import check
from notices.model import Notice
from settings import config as watch_config
from spiders.items import NoticeItem, QuarantineItem, WindowDone

logger = logging.getLogger(__name__)

_NOISY_LOGGERS = (
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


@dataclass(eq=False)
class Part:
    """A slice of a window being read: a date range, maybe narrowed by a filter, maybe split further."""

    start: date
    end: date
    final: bool
    filter: str | None = None
    label: str = ""
    parent: Part | None = None
    emits: bool = True  # reports WindowDone when complete (date slices not split by date)
    pending: int = 1  # requests (or child parts) still outstanding
    records: int = 0
    total: int | None = None
    failed: bool = False
    unstable: bool = False  # the source's count changed while paging: read it again next run
    children: list[Part] = field(default_factory=list)

    @property
    def name(self) -> str:
        span = self.start.isoformat() if self.start == self.end else f"{self.start}..{self.end}"
        return f"{span}{' ' + self.label if self.label else ''}"


class WindowTracker:
    """Counts outstanding requests per part; yields WindowDone when a part and all it spawned are done."""

    def __init__(self, source: str, endpoint: str, crawl_from: date):
        self.source = source
        self.endpoint = endpoint
        self.crawl_from = crawl_from
        self.failed: list[tuple[Part, str]] = []
        self.completed = 0

    def add_requests(self, part: Part, n: int) -> None:
        part.pending += n

    def split(self, part: Part, children: list[Part], *, by_date: bool) -> None:
        """Replace reading `part` directly by reading `children` (date halves, or filters of one day)."""
        for child in children:
            child.parent = part
            child.emits = by_date  # date slices report themselves; filtered slices report through the parent
        part.children.extend(children)
        if by_date:
            part.emits = False
        part.pending += len(children)

    def done(self, part: Part, records: int = 0) -> Iterator[WindowDone]:
        """One request (or child) of `part` is handled."""
        part.records += records
        part.pending -= 1
        while part.pending == 0:
            if part.emits and not part.failed and not part.unstable:
                self.completed += 1
                yield WindowDone(
                    self.source, self.endpoint, part.start, part.end, part.records, part.final, self.crawl_from
                )
            parent = part.parent
            if parent is None:
                return
            parent.records += part.records if not part.emits else 0
            parent.unstable = parent.unstable or part.unstable
            parent.pending -= 1
            part = parent

    def fail(self, part: Part, reason: str) -> None:
        self.failed.append((part, reason))
        node: Part | None = part
        while node is not None:
            node.failed = True
            node = node.parent


def _parse_day(value: str | None, name: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"-a {name}={value!r}: expected a date as YYYY-MM-DD") from None


class WindowedSpider(scrapy.Spider):
    """Subclasses set `name`, `source`, `config_key` and implement `start_part(part)` and their callbacks."""

    source: str = ""
    config_key: str = ""  # sources.<key> in config.yaml

    @classmethod
    def check_arguments(cls, from_date: str | None = None, until_date: str | None = None, **_: Any) -> None:
        """Raise ValueError for arguments the spider cannot run with (spiders.commands.crawl calls this first)."""
        start, end = _parse_day(from_date, "from_date"), _parse_day(until_date, "until_date")
        if start and end and start > end:
            raise ValueError(f"from_date {start} is after until_date {end}")

    def __init__(self, from_date: str | None = None, until_date: str | None = None, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.from_arg = _parse_day(from_date, "from_date")
        self.until_arg = _parse_day(until_date, "until_date")
        if self.from_arg and self.until_arg and self.from_arg > self.until_arg:
            raise ValueError(f"from_date {self.from_arg} is after until_date {self.until_arg}")
        self.records_read = 0
        self.pages_read = 0

    # -- settings and set-up ---------------------------------------------------------------------
    @classmethod
    def update_settings(cls, settings: Any) -> None:
        super().update_settings(settings)
        cfg = watch_config.load(settings.get("WATCH_CONFIG") or None)
        settings.set("USER_AGENT", cfg["crawl.user_agent"], priority="spider")
        settings.set("CONCURRENT_REQUESTS", cfg["crawl.concurrent_requests"], priority="spider")
        settings.set("CONCURRENT_REQUESTS_PER_DOMAIN", cfg["crawl.concurrent_requests"], priority="spider")
        settings.set("RETRY_TIMES", cfg["crawl.retry_times"], priority="spider")
        settings.set("MAX_RETRY_AFTER", cfg["crawl.max_retry_after"], priority="spider")
        settings.set("DOWNLOAD_TIMEOUT", cfg["crawl.timeout"], priority="spider")
        settings.set("LOG_LEVEL", cfg["logging.level"].upper(), priority="spider")
        cls.source_settings(settings, cfg)

    @classmethod
    def source_settings(cls, settings: Any, cfg: watch_config.Config) -> None:
        """A source's own settings from the configuration (TED: its request delay)."""

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> WindowedSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        for name in _NOISY_LOGGERS:
            logging.getLogger(name).setLevel(logging.WARNING)
        spider.config = watch_config.load(crawler.settings.get("WATCH_CONFIG") or None)
        spider.archive_path = spider.config.resolve_path("archive.path")
        spider.settings_retry_times = crawler.settings.getint("RETRY_TIMES", 4)
        archive = Archive(open_db(spider.archive_path))
        watermark = archive.watermark(cls.source, spider.endpoint)
        archive.db.close()
        today = today_paris()
        first_days = spider.config[f"sources.{cls.config_key}.first_run_days"]
        spider.from_day = spider.from_arg or (
            watermark + timedelta(days=1) if watermark else today - timedelta(days=first_days - 1)
        )
        spider.until_day = spider.until_arg or today
        if spider.from_day > spider.until_day:  # up to date: read today again (it may have grown)
            spider.from_day = spider.until_day
        spider.tracker = WindowTracker(cls.source, spider.endpoint, spider.from_day)
        return spider

    @property
    def endpoint(self) -> str:
        """The upstream this spider reads (its watermark is kept per endpoint)."""
        return self.config[f"sources.{self.config_key}.url"]

    def windows(self) -> list[Part]:
        """[from, until] cut at today: past days are final, today is read but not final."""
        today = today_paris()
        parts = []
        if self.from_day < today:
            parts.append(Part(self.from_day, min(self.until_day, today - timedelta(days=1)), final=True))
        if self.until_day >= today:
            parts.append(Part(max(self.from_day, today), self.until_day, final=False))
        return parts

    async def start(self) -> Any:
        logger.info(
            "%s: reading notices published %s to %s into %s",
            self.name,
            self.from_day,
            self.until_day,
            self.archive_path,
        )
        for part in self.windows():
            for request in self.start_part(part):
                yield request

    def start_part(self, part: Part) -> Iterator[scrapy.Request]:
        raise NotImplementedError

    @property
    def failures(self) -> list[tuple[Any, str]]:
        return self.tracker.failed

    # -- responses -------------------------------------------------------------------------------
    def json_body(self, response: Response) -> tuple[Any, scrapy.Request | None]:
        """(data, None), or (None, retry request) for a truncated/invalid body, or (None, None) once given up."""
        try:
            return json.loads(response.body), None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            tries = response.meta.get("body_retries", 0) + 1
            reason = f"invalid JSON body from {response.url} ({len(response.body)} bytes, {exc})"
            if tries > self.settings_retry_times:
                logger.error("%s: %s; gave up after %d attempts", self.name, reason, tries - 1)
                return None, None
            logger.warning("%s: %s; retrying (%d/%d)", self.name, reason, tries, self.settings_retry_times)
            retry = response.request.replace(dont_filter=True)
            retry.meta["body_retries"] = tries
            return None, retry

    def items_from_records(
        self, records: list[Any], parse: Callable[..., Notice], context: str, id_field: str
    ) -> Iterator[NoticeItem | QuarantineItem]:
        for record in records:
            raw = json.dumps(record, ensure_ascii=False)
            try:
                yield NoticeItem(check(parse(record, raw=raw)))
            except ValueError as exc:
                yield QuarantineItem(self.source, _record_id(record, id_field), str(exc), raw, context)
            except Exception as exc:  # a mapper bug must not stop the crawl; the record waits in quarantine
                logger.exception("%s: mapper failed on a record from %s", self.name, context)
                yield QuarantineItem(
                    self.source, _record_id(record, id_field), f"mapper bug: {type(exc).__name__}: {exc}", raw, context
                )
        self.records_read += len(records)
        self.pages_read += 1
        if self.pages_read % 25 == 0:
            logger.info("%s: %s records read in %d responses", self.name, f"{self.records_read:,}", self.pages_read)

    def request_failed(self, failure: Failure) -> Iterator[Any]:
        """Errback: the request failed for good (network, HTTP error after retries)."""
        request = failure.request
        part: Part = request.cb_kwargs.get("part") or request.meta["part"]
        reason = failure.getErrorMessage()
        response = getattr(failure.value, "response", None)
        if response is not None:
            reason = f"HTTP {response.status}: {response.text[:300]!r}"
        elif "DNS lookup failed" in reason or "Connection refused" in reason or "No route" in reason:
            reason = f"network unreachable ({reason})"
        self.fail(part, f"{request.url}: {reason}")
        return iter(())

    def fail(self, part: Part, reason: str) -> None:
        logger.error("%s: window %s not read whole: %s", self.name, part.name, reason)
        self.tracker.fail(part, reason)

    def part_done(self, part: Part, records: int = 0) -> Iterator[WindowDone]:
        """One request of `part` handled: hand over WindowDone for every window this completes."""
        for done in self.tracker.done(part, records):
            logger.info(
                "%s: %s..%s read whole: %s records%s",
                self.name,
                done.start,
                done.end,
                f"{done.records:,}",
                "" if done.final else " (today: not final)",
            )
            yield done


def _record_id(record: Any, id_field: str) -> str | None:
    if isinstance(record, dict) and isinstance(record.get(id_field), str):
        return record[id_field]
    return None
