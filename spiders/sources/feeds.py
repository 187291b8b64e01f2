"""RSS and Atom feeds of buyers (`platforms.feeds`): one notice per entry, its deadline read from the text.

scrapy crawl feeds
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scrapy.http import Response

from notices.platforms import notice_from_feed_entry, parse_feed
from spiders.pages import PageSpider


class FeedsSpider(PageSpider):
    name = "feeds"
    platforms_key = "feeds"

    def parse_entry(self, response: Response, entry: dict[str, Any]) -> Iterator[Any]:
        """The feed: a notice per item."""
        feed = entry
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
