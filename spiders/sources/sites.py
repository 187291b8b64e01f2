"""Any other buyer site, described in configuration (`platforms.sites`): CSS or XPath selectors.

Each site: a listing URL, the selector of one item and, inside it, of the title, link, deadline,
reference, buyer, place; the selector of the next page (followed up to `max_pages`); optionally selectors
applied on each item's detail page. A selector starting with "/" or "(" is XPath, anything else CSS.

    scrapy crawl sites
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import scrapy
from parsel import Selector
from scrapy.http import Response

from notices.platforms import clean, notice_from_site_item
from spiders.pages import PageSpider

FIELDS = ("title", "link", "deadline", "reference", "buyer", "place", "description", "cpv")


def extract(sel: Selector, expr: str | None) -> str | None:
    """The text a selector designates (text nodes and attributes as such, elements as their whole text)."""
    if not expr:
        return None
    found = sel.xpath(expr) if expr.startswith(("/", "(", "./")) else sel.css(expr)
    parts = []
    for node in found:
        value = node.get() if isinstance(node.root, str) else node.xpath("string(.)").get()
        if value and value.strip():
            parts.append(value)
    return clean(" ".join(parts))


class SitesSpider(PageSpider):
    name = "sites"

    platforms_key = "sites"

    def parse_entry(self, response: Response, entry: dict[str, Any]) -> Iterator[Any]:
        """The listing's first page."""
        return self.parse_list(response, entry, 1)

    def parse_list(self, response: Response, site: dict[str, Any], page: int) -> Iterator[Any]:
        name = site["name"]
        selectors = site["item"]
        items = response.xpath(selectors) if selectors.startswith(("/", "(")) else response.css(selectors)
        if page == 1:
            self.check_count(name, "listing items", len(items), f"listing {response.url}")
        for node in items:
            fields = {f: extract(node, site.get(f)) for f in FIELDS}
            if fields["link"]:
                fields["link"] = response.urljoin(fields["link"])
            self.count_required(name, {"title": bool(fields["title"]), "link": bool(fields["link"])})
            if site.get("detail") and fields["link"]:
                yield scrapy.Request(
                    fields["link"],
                    callback=self.parse_detail,
                    errback=self.detail_failed,
                    cb_kwargs={"site": site, "fields": fields},
                )
            else:
                yield self._notice(site, fields, response.url)
        next_link = extract(response, site.get("next"))
        if next_link and page < int(site.get("max_pages", 5)):
            yield scrapy.Request(
                response.urljoin(next_link),
                callback=self.parse_list,
                errback=self.request_failed,
                cb_kwargs={"site": site, "page": page + 1},
            )

    def parse_detail(self, response: Response, site: dict[str, Any], fields: dict[str, Any]) -> Iterator[Any]:
        for field, expr in site["detail"].items():
            value = extract(response, expr)
            if value:
                fields[field] = value
        yield self._notice(site, fields, response.url)

    def detail_failed(self, failure: Any) -> Iterator[Any]:
        """A detail page not had (robots.txt, HTTP error): the item is kept as the listing describes it."""
        kwargs = failure.request.cb_kwargs
        self.logger.warning(
            "%s: detail %s not read (%s): kept from the listing",
            kwargs["site"]["name"],
            failure.request.url,
            failure.getErrorMessage() or type(failure.value).__name__,
        )
        yield self._notice(kwargs["site"], kwargs["fields"], failure.request.url)

    def _notice(self, site: dict[str, Any], fields: dict[str, Any], url: str) -> Any:
        if site.get("deadline"):
            self.count_required(site["name"], {"deadline": bool(fields.get("deadline"))})
        return self.item(
            site["name"],
            lambda _raw: notice_from_site_item(site["name"], fields, site.get("buyer_name")),
            {"site": site["name"], "fields": fields},
            url,
        )
