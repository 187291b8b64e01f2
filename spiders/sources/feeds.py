"""RSS and Atom feeds of buyers (`platforms.feeds`): one notice per entry, its deadline read from the text.

scrapy crawl feeds
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy.http import Response

from notices.platforms import notice_from_feed_entry, parse_feed
from spiders.pages import PageSpider


class FeedsSpider(PageSpider):
    name = "feeds"

    async def start(self) -> Any:
        for feed in self.platforms["feeds"]:
            yield scrapy.Request(
                feed["url"],
                callback=self.parse_feed,
                errback=self.request_failed,
                cb_kwargs={"feed": feed},
                dont_filter=True,
            )

    def parse_feed(self, response: Response, feed: dict[str, Any]) -> Iterator[Any]:
        try:
            entries = parse_feed(response.body)
        except (ValueError, SyntaxError) as exc:
            self.fail(f"{feed['name']}: {response.url} is not a readable feed ({exc})")
            return
        self.check_count(feed["name"], "feed items", len(entries), f"feed {response.url}")
        for entry in entries:
            yield self.item(
                feed["name"],
                lambda _raw, e=entry: notice_from_feed_entry(feed["name"], e, feed.get("buyer")),
                {"feed": entry},
                response.url,
            )
