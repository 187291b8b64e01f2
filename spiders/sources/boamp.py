"""BOAMP, through the Opendatasoft Explore v2.1 records API (dataset `boamp`).

Caveats (BOAMP reference §1a): the default order is undefined, so `order_by` is always sent; `limit` is at
most 100; `offset + limit` may not pass 10,000, so a window with more notices is split: a date range in
halves, a single day by `famille` (JOUE, FNS, MAPA, DSP and the rest), and a slice still too big is read
through the export endpoint, which has no cap. `q=` is silently ignored by v2.1: filters go in `where`.
If the count of a window changes while it is paged (notices published meanwhile), the window is not
marked complete and the next run reads it again.

    scrapy crawl boamp -a from_date=2026-01-01 -a until_date=2026-01-31
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import scrapy
from scrapy.http import Response

from notices.boamp import parse_record
from spiders.base import Part, WindowedSpider

API_CAP = 10_000
FAMILLES = ("JOUE", "FNS", "MAPA", "DSP")
ORDER = "dateparution, idweb"


class BoampSpider(WindowedSpider):
    """The Opendatasoft records pattern, for BOAMP; another ODS dataset (APProch) subclasses it, naming its own
    date field, order, id field, record mapper and the filters that split one day over the cap."""

    name = "boamp"
    source = "boamp"
    config_key = "boamp"
    date_field = "dateparution"
    order = ORDER
    id_field = "idweb"
    parse_record = staticmethod(parse_record)
    day_filters: tuple[str, ...] = FAMILLES  # famille = "…" slices of one day over the cap (empty: export it)
    custom_settings = {
        # An open-data API meant for programs, not web pages: robots.txt rules for crawlers do not apply.
        "ROBOTSTXT_OBEY": False,
    }

    @property
    def base_url(self) -> str:
        return self.source_config["url"].rstrip("/")

    @property
    def page_size(self) -> int:
        return self.source_config["page_size"]

    def where(self, part: Part) -> str:
        field = self.date_field
        clauses = [f"{field} >= date'{part.start.isoformat()}'", f"{field} <= date'{part.end.isoformat()}'"]
        if part.filter:
            clauses.append(part.filter)
        return " and ".join(clauses)

    def start_part(self, part: Part) -> Iterator[scrapy.Request]:
        yield self.page_request(part, 0)

    def page_request(self, part: Part, offset: int) -> scrapy.Request:
        query = {"where": self.where(part), "order_by": self.order, "limit": self.page_size, "offset": offset}
        return scrapy.Request(
            f"{self.base_url}/records?{urlencode(query)}",
            callback=self.parse_page,
            errback=self.request_failed,
            cb_kwargs={"part": part, "offset": offset},
            meta={"part": part, "handle_httpstatus_list": [400]},
            dont_filter=True,
        )

    def export_request(self, part: Part) -> scrapy.Request:
        query = {"where": self.where(part), "order_by": self.order}
        return scrapy.Request(
            f"{self.base_url}/exports/json?{urlencode(query)}",
            callback=self.parse_export,
            errback=self.request_failed,
            cb_kwargs={"part": part},
            meta={"part": part, "handle_httpstatus_list": [400]},
            dont_filter=True,
        )

    def parse_page(self, response: Response, part: Part, offset: int) -> Iterator[Any]:
        data = self.read_answer(response, part, dict)
        if not isinstance(data, dict):  # the request again, or None: the window is failed
            if data is not None:
                yield data
            return
        total = int(data.get("total_count", 0))
        records = data.get("results") or []
        if offset == 0:
            part.total = total
            if total > API_CAP:
                yield from self.split(part, total)
                yield from self.part_done(part, 0)
                return
            pages = math.ceil(total / self.page_size)
            self.tracker.add_requests(part, max(0, pages - 1))
            for page in range(1, pages):
                yield self.page_request(part, page * self.page_size)
        elif total != part.total:
            part.unstable = True
            self.logger.warning(
                "%s: window %s changed while read (%s then %s notices): it will be read again next run",
                self.name,
                part.name,
                part.total,
                total,
            )
        yield from self.items_from_records(records, self.parse_record, response.url, self.id_field)
        yield from self.part_done(part, len(records))

    def parse_export(self, response: Response, part: Part) -> Iterator[Any]:
        data = self.read_answer(response, part, list)
        if not isinstance(data, list):  # the request again, or None: the window is failed
            if data is not None:
                yield data
            return
        yield from self.items_from_records(data, self.parse_record, response.url, self.id_field)
        yield from self.part_done(part, len(data))

    def split(self, part: Part, total: int) -> Iterator[scrapy.Request]:
        """A slice over the API cap: halve the dates, or split one day by famille, or export it."""
        if part.start < part.end:
            mid = part.start + (part.end - part.start) // 2
            children = [Part(part.start, mid, part.final), Part(mid + timedelta(days=1), part.end, part.final)]
            by_date = True
        elif part.filter is None and self.day_filters:
            known = " or ".join(f'famille = "{f}"' for f in self.day_filters)
            children = [
                Part(part.start, part.end, part.final, f'famille = "{f}"', f"famille {f}") for f in self.day_filters
            ]
            children.append(
                Part(part.start, part.end, part.final, f"(famille is null or not ({known}))", "other familles")
            )
            by_date = False
        else:
            self.logger.info(
                "%s: %s has %s notices, over the API cap: reading it through the export endpoint",
                self.name,
                part.name,
                f"{total:,}",
            )
            self.tracker.add_requests(part, 1)
            yield self.export_request(part)
            return
        self.logger.info(
            "%s: %s has %s notices, over the API cap of %s: split into %d",
            self.name,
            part.name,
            f"{total:,}",
            f"{API_CAP:,}",
            len(children),
        )
        self.tracker.split(part, children, by_date=by_date)
        for child in children:
            yield from self.start_part(child)
