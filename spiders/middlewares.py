"""Downloader middlewares."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy import Request
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.http import Response

logger = logging.getLogger(__name__)

DEFAULT_WAIT = 30.0


def retry_after_seconds(value: bytes | str | None, default: float = DEFAULT_WAIT) -> float:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if value is None:
        return default
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return default
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class RetryAfterMiddleware:
    """HTTP 429: wait what the server asks (capped by `crawl.max_retry_after`), then try again.

    The wait happens in the download slot, so the whole domain backs off, as the server asked. The retry
    goes through Scrapy's `get_retry_request` (RETRY_TIMES, `retry/*` stats); once retries are spent the
    429 is passed on and the spider records the window as failed.
    """

    def __init__(self, crawler: Any):
        self.crawler = crawler
        self.max_wait = crawler.settings.getfloat("MAX_RETRY_AFTER", 600.0)
        self.attempts = crawler.settings.getint("RETRY_TIMES")

    @classmethod
    def from_crawler(cls, crawler: Any) -> RetryAfterMiddleware:
        return cls(crawler)

    async def process_response(self, request: Request, response: Response, spider: Any = None) -> Request | Response:
        if response.status != 429 or request.meta.get("dont_retry"):
            return response
        retry = get_retry_request(
            request, spider=self.crawler.spider, reason="429 Too Many Requests", give_up_log_level=logging.DEBUG
        )
        if retry is None:
            logger.error("HTTP 429 from %s: gave up after %d attempts", request.url, self.attempts + 1)
            return response
        wait = min(retry_after_seconds(response.headers.get("Retry-After")), self.max_wait)
        logger.warning(
            "HTTP 429 from %s: waiting %.0f s as asked (attempt %d/%d)",
            request.url,
            wait,
            retry.meta["retry_times"],
            self.attempts,
        )
        await asyncio.sleep(wait)
        return retry
