"""Atexo MPE platforms (PLACE, Maximilien and the other "local-trust" portals): RSS feed, then each page.

Per platform (config `platforms.atexo`): the RSS feed of open consultations (`rssCS.xml` on Maximilien,
`rssTr.xml` on PLACE) gives the structured fields; only consultations of the configured buyers
(orgAcronyme; empty list: all) are followed; each consultation's page (the DCE request page, whose recap
block is static HTML) completes the notice. A page that cannot be had (robots.txt, HTTP error) leaves the
notice as the feed describes it. Listing pagination (PRADO postbacks) is not needed with the feed.

    scrapy crawl atexo
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from notices.model import Notice
from notices.platforms import atexo_ids, fill_from_atexo_page, notice_from_atexo_item, parse_feed
from spiders.items import NoticeItem
from spiders.pages import PageSpider

DETAIL = "{url}/index.php?page=entreprise.EntrepriseDemandeTelechargementDce&refConsultation={id}&orgAcronyme={org}"


class AtexoSpider(PageSpider):
    name = "atexo"
    platforms_key = "atexo"

    def entry_url(self, entry: dict[str, Any]) -> str:
        return f"{entry['url'].rstrip('/')}/{entry.get('feed', 'rssCS.xml').lstrip('/')}"

    def parse_entry(self, response: Response, entry: dict[str, Any]) -> Iterator[Any]:
        """The platform's feed: a notice per consultation of a followed buyer, then its page."""
        platform = entry
        name = platform["name"]
        try:
            items = parse_feed(response.body)
        except (ValueError, SyntaxError) as exc:
            self.fail(f"{name}: {response.url} is not a readable feed ({exc})")
            return
        self.check_count(name, "feed items", len(items), f"feed {response.url}")
        buyers = set(platform.get("buyers") or [])
        kept = 0
        for entry in items:
            cid, org = atexo_ids(entry)
            if buyers and org not in buyers:
                continue
            kept += 1
            item = self.item(name, lambda _raw, e=entry: notice_from_atexo_item(name, e), {"feed": entry}, response.url)
            if not isinstance(item, NoticeItem) or not cid or not org:
                yield item
                continue
            detail = platform.get("detail", DETAIL).format(url=platform["url"].rstrip("/"), id=cid, org=org)
            yield scrapy.Request(
                detail,
                callback=self.parse_page,
                errback=self.page_failed,
                cb_kwargs={"notice": item.notice, "entry": entry, "source": name},
            )
        self.logger.info("%s: %d consultation(s) in the feed, %d of the followed buyers", name, len(items), kept)

    def parse_page(self, response: Response, notice: Notice, entry: dict[str, Any], source: str) -> Iterator[Any]:
        fields = fill_from_atexo_page(notice, response.text)
        self.count_required(source, {"deadline": "dateHeureLimiteRemisePlis" in fields, "title": "intitule" in fields})
        yield self.item(source, lambda _raw: notice, {"feed": entry, "page": fields}, response.url)

    def page_failed(self, failure: Failure) -> Iterator[Any]:
        kwargs = failure.request.cb_kwargs
        self.logger.warning(
            "%s: page %s not read (%s): kept as the feed describes it",
            kwargs["source"],
            failure.request.url,
            failure.getErrorMessage() or type(failure.value).__name__,
        )
        yield self.item(kwargs["source"], lambda _raw: kwargs["notice"], {"feed": kwargs["entry"]}, failure.request.url)
