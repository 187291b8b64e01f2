"""The root of every watch spider, whatever its access pattern (dated windows of an API, or web pages).

What both patterns share lives here: the settings the watch add-on (spiders/addon.py) put in place, quieter
Scrapy loggers, the mapping of a record to an archive item (a record that cannot be mapped or trusted goes
to quarantine with its raw text; the crawl goes on), retries of unusable bodies through Scrapy's
`get_retry_request` (with its `retry/*` stats), and the failures a run reports (`self.failures`, read by
the archive pipeline when the crawl closes). Spiders never load the configuration nor open the archive.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import scrapy
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.http import Response
from twisted.python.failure import Failure

from notices.checks import RecordError, check
from notices.model import Notice
from spiders.items import NoticeItem, QuarantineItem

logger = logging.getLogger(__name__)

NOISY_LOGGERS = (
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


def raw_text(value: Any) -> str:
    """What is kept of a record as the source gave it (archived with the notice, or in quarantine)."""
    return json.dumps(value, ensure_ascii=False, default=str)


def failure_reason(failure: Failure) -> str:
    """A failed request in one line: the HTTP status (and the start of the body), or the network error."""
    response = getattr(failure.value, "response", None)
    if response is not None:
        text = getattr(response, "text", "")[:300]
        return f"HTTP {response.status}: {text!r}" if text else f"HTTP {response.status}"
    reason = failure.getErrorMessage() or type(failure.value).__name__
    if "DNS lookup failed" in reason or "Connection refused" in reason or "No route" in reason:
        return f"network unreachable ({reason})"
    return reason


class WatchSpider(scrapy.Spider):
    """Subclasses are the access patterns (spiders.base.WindowedSpider, spiders.pages.PageSpider)."""

    # The configuration key of this spider's delay between two requests, applied by the add-on.
    delay_from: ClassVar[str | None] = None

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.failures: list[tuple[Any, str]] = []  # (what failed, reason): the run is partial or failed

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> Any:
        spider = super().from_crawler(crawler, *args, **kwargs)
        for name in NOISY_LOGGERS:
            logging.getLogger(name).setLevel(logging.WARNING)
        return spider

    # Settings are read when first used: Scrapy creates the spider before the add-on has set them.
    @property
    def archive_path(self) -> str | None:
        return self.settings.get("WATCH_ARCHIVE")

    # -- items -----------------------------------------------------------------------------------
    def item(
        self,
        source: str,
        build: Callable[[str], Notice],
        raw: Any,
        context: str,
        source_id: str | None = None,
    ) -> NoticeItem | QuarantineItem:
        """The checked notice `build(raw text)` maps, or the record in quarantine with the reason."""
        text = raw_text(raw)
        try:
            notice = check(build(text))
        except RecordError as exc:  # the mapper or the checks refuse the record
            return QuarantineItem(source, source_id, str(exc), text, context)
        except Exception as exc:  # a mapper bug must not stop the crawl; the record waits in quarantine
            logger.exception("%s: mapper failed on a record from %s", self.name, context)
            return QuarantineItem(source, source_id, f"mapper bug: {type(exc).__name__}: {exc}", text, context)
        notice.raw = text
        return NoticeItem(notice)

    # -- retries and failures --------------------------------------------------------------------
    def retry(self, response: Response, reason: str, stat: str) -> scrapy.Request | None:
        """The request again for an unusable answer (counted in `retry/reason_count/<stat>`), or None once
        RETRY_TIMES retries are spent (`retry/max_reached`)."""
        again = get_retry_request(response.request, spider=self, reason=stat, give_up_log_level=logging.DEBUG)
        limit = self.settings.getint("RETRY_TIMES")
        if again is None:
            attempts = response.request.meta.get("retry_times", 0) + 1
            logger.error("%s: %s; gave up after %d attempts", self.name, reason, attempts)
        else:
            logger.warning("%s: %s; retrying (%d/%d)", self.name, reason, again.meta["retry_times"], limit)
        return again

    def request_failed(self, failure: Failure) -> Iterator[Any]:
        """Errback: the request failed for good (network, HTTP error after retries)."""
        request = failure.request
        part = request.cb_kwargs.get("part") or request.meta.get("part")
        self.fail(f"{request.url}: {failure_reason(failure)}", part)
        return iter(())

    def fail(self, reason: str, part: Any = None) -> None:
        """Something was not read: the run reports it (and, for a window, the watermark stays)."""
        logger.error("%s: %s", self.name, reason)
        self.failures.append((part, reason))
