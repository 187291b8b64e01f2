"""Base spider for buyer platforms and configured sites: polite crawling and breakage reports.

Web pages, unlike APIs, are crawled with robots.txt obeyed, an identifying User-Agent with a contact
address (config crawl.user_agent), a per-domain delay and AutoThrottle; no login form, captcha or
document (DCE) is ever fetched. A layout change must not look like a quiet day: a feed or listing that
returns no item when it had some last time, or pages on which most items miss a required field, is
recorded as a failure of the run (and so reaches `status` and the operators' alarms). What was counted
last time (`previous_health`) and what is counted now (`health`) are read and written by the ArchiveState
extension; the platforms come from the `WATCH_PLATFORMS` setting (put there by the watch add-on).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cached_property
from typing import Any

import scrapy
from scrapy.http import Response

from spiders.root import WatchSpider


class PageSpider(WatchSpider):
    custom_settings = {
        "ROBOTSTXT_OBEY": True,  # web pages: the site's crawling rules apply
        "AUTOTHROTTLE_ENABLED": True,  # back off when the site slows down
        "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
    }
    delay_from = "platforms.delay"
    platforms_key = ""  # atexo, sites or feeds: the entries of platforms.<key> this spider reads

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.previous_health: dict[tuple[str, str], int] = {}  # (source, metric) -> count of the last run
        self.health: dict[tuple[str, str], int] = {}  # (source, metric) -> count of this run, when not zero
        self.required: dict[str, list[int]] = {}  # "source|field" -> [items with the field, items]

    @cached_property
    def platforms(self) -> dict[str, Any]:
        """`platforms.*` of the configuration: atexo, sites, feeds."""
        return self.settings.getdict("WATCH_PLATFORMS")

    async def start(self) -> Any:
        """One request per configured entry (`platforms.<platforms_key>`), handled by `parse_entry`."""
        for entry in self.platforms[self.platforms_key]:
            url = self.entry_url(entry)
            self.logger.info("%s: reading %s", entry["name"], url)
            yield scrapy.Request(
                url,
                callback=self.parse_entry,
                errback=self.request_failed,
                cb_kwargs={"entry": entry},
                dont_filter=True,
            )

    def entry_url(self, entry: dict[str, Any]) -> str:
        return entry["url"]

    def parse_entry(self, response: Response, entry: dict[str, Any]) -> Iterator[Any]:
        raise NotImplementedError

    # -- breakage ------------------------------------------------------------------------------
    def check_count(self, source: str, metric: str, count: int, where: str) -> None:
        """Zero items where there were some last time is a failure, not an empty day."""
        previous = self.previous_health.get((source, metric))
        if count == 0 and previous:
            self.fail(
                f"{source}: {where} returned no item (it had {previous} last time): its layout "
                "or address may have changed"
            )
        if count:
            self.health[(source, metric)] = count

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
