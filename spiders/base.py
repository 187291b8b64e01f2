"""Base spider for sources read by publication-date windows, with a watermark kept in the archive.

What every such source shares lives here: the `from_date`/`until_date` arguments (default: from the day
after the watermark, which the ArchiveState extension hands over when the spider opens), windows split at
today (today's notices are read but the day is not over, so it never moves the watermark), a tracker that
knows when every request of a window has been handled, and retries of truncated or invalid bodies. The
source's settings come from `WATCH_SOURCES` (put there by the watch add-on).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from typing import Any

import scrapy
from scrapy.http import Response

from archive.store import today_paris
from notices.model import Notice
from spiders.items import NoticeItem, QuarantineItem, WindowDone
from spiders.root import WatchSpider

logger = logging.getLogger(__name__)


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

    def fail(self, part: Part) -> None:
        """`part` was not read whole: neither it nor what contains it will report WindowDone."""
        node: Part | None = part
        while node is not None:
            node.failed = True
            node = node.parent


def day_range(from_date: str | None, until_date: str | None) -> tuple[date | None, date | None]:
    """The -a from_date / until_date days of a crawl; ValueError naming the argument when one is not a day or
    the range is reversed (every dated spider checks its arguments with this)."""
    start, end = _parse_day(from_date, "from_date"), _parse_day(until_date, "until_date")
    if start and end and start > end:
        raise ValueError(f"from_date {start} is after until_date {end}")
    return start, end


def _parse_day(value: str | None, name: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"-a {name}={value!r}: expected a date as YYYY-MM-DD") from None


class WindowedSpider(WatchSpider):
    """Subclasses set `name`, `source`, `config_key` and implement `start_part(part)` and their callbacks."""

    source: str = ""
    config_key: str = ""  # sources.<key> in config.yaml, a key of the WATCH_SOURCES setting
    dated_by: str = "published"  # what the days of the windows are, for the log

    @classmethod
    def check_arguments(cls, from_date: str | None = None, until_date: str | None = None, **_: Any) -> None:
        """Raise ValueError for arguments the spider cannot run with (spiders.commands.crawl calls this first)."""
        day_range(from_date, until_date)

    def __init__(self, from_date: str | None = None, until_date: str | None = None, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.from_arg, self.until_arg = day_range(from_date, until_date)
        self.records_read = 0
        self.pages_read = 0
        self.tracker: WindowTracker | None = None  # set by resume_after

    @cached_property
    def source_config(self) -> dict[str, Any]:
        """`sources.<config_key>` of the configuration."""
        return self.settings.getdict("WATCH_SOURCES")[self.config_key]

    def resume_after(self, watermark: date | None) -> None:
        """Set the days to read: the arguments, else from the day after `watermark` (first run: the last
        `first_run_days` days) to today."""
        today = today_paris()
        first_days = self.source_config["first_run_days"]
        self.from_day = self.from_arg or (
            watermark + timedelta(days=1) if watermark else today - timedelta(days=first_days - 1)
        )
        self.until_day = self.until_arg or today
        if self.from_day > self.until_day:  # up to date: read today again (it may have grown)
            self.from_day = self.until_day
        self.tracker = WindowTracker(self.source, self.endpoint, self.from_day)

    @property
    def endpoint(self) -> str:
        """The upstream this spider reads (its watermark is kept per endpoint)."""
        return self.source_config["url"]

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
        if self.tracker is None:  # no archive state (ArchiveState off): as on a first run
            self.resume_after(None)
        logger.info(
            "%s: reading notices %s %s to %s into %s",
            self.name,
            self.dated_by,
            self.from_day,
            self.until_day,
            self.archive_path,
        )
        for part in self.windows():
            for request in self.start_part(part):
                yield request

    def start_part(self, part: Part) -> Iterator[scrapy.Request]:
        raise NotImplementedError

    # -- responses -------------------------------------------------------------------------------
    def read_answer(self, response: Response, part: Part, expected: type) -> Any:
        """The API's JSON answer if it is an `expected` (dict, list); else the request again for a truncated or
        invalid body, or None once the window is failed (the API refused the query, or retries are spent)."""
        if response.status == 400:
            self.fail(f"{response.url}: API refused the query: {response.text[:300]}", part)
            return None
        try:
            data = json.loads(response.body)
            error = None if isinstance(data, expected) else f"a JSON {type(data).__name__}"
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            error = str(exc)
        if error is None:
            return data
        reason = f"invalid JSON body from {response.url} ({len(response.body)} bytes, {error})"
        again = self.retry(response, reason, "invalid_body")
        if again is None:
            self.fail(f"{response.url}: unreadable body", part)
        return again

    def items_from_records(
        self, records: list[Any], parse: Callable[..., Notice], context: str, id_field: str
    ) -> Iterator[NoticeItem | QuarantineItem]:
        for record in records:
            yield self.item(
                self.source, lambda raw, r=record: parse(r, raw=raw), record, context, _record_id(record, id_field)
            )
        self.records_read += len(records)
        self.pages_read += 1
        if self.pages_read % 25 == 0:
            logger.info("%s: %s records read in %d responses", self.name, f"{self.records_read:,}", self.pages_read)

    def fail(self, reason: str, part: Any = None) -> None:
        logger.error("%s: window %s not read whole: %s", self.name, part.name, reason)
        self.tracker.fail(part)
        self.failures.append((part, reason))

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
