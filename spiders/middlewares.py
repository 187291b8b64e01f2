"""Downloader middlewares."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy import Request
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

    The wait happens in the download slot, so the whole domain backs off, as the server asked. After
    RETRY_TIMES attempts the 429 is passed on and the spider records the window as failed.
    """

    def __init__(self, max_wait: float, attempts: int):
        self.max_wait = max_wait
        self.attempts = attempts

    @classmethod
    def from_crawler(cls, crawler: Any) -> RetryAfterMiddleware:
        return cls(crawler.settings.getfloat("MAX_RETRY_AFTER", 600.0), crawler.settings.getint("RETRY_TIMES", 4))

    async def process_response(self, request: Request, response: Response, spider: Any = None) -> Request | Response:
        if response.status != 429:
            return response
        tries = request.meta.get("retry_429", 0) + 1
        if tries > self.attempts:
            logger.error("HTTP 429 from %s: gave up after %d attempts", request.url, self.attempts)
            return response
        wait = min(retry_after_seconds(response.headers.get("Retry-After")), self.max_wait)
        logger.warning(
            "HTTP 429 from %s: waiting %.0f s as asked (attempt %d/%d)", request.url, wait, tries, self.attempts
        )
        await asyncio.sleep(wait)
        retry = request.replace(dont_filter=True)
        retry.meta["retry_429"] = tries
        return retry
