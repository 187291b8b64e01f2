"""TED, through the Search API v3 (`POST /v3/notices/search`) and each notice's eForms XML.

Caveats (TED reference §1): ITERATION mode is used (no 15,000 cap) with `iterationNextToken`; a token may
still come back with the last page, so paging stops on an empty page, a repeated token or when every
notice counted by `totalNoticeCount` was seen. `limit` is at most 250 and `limit x fields` at most 10,000.
`timedOut: true` means the page may be incomplete: it is asked again. The search API returns selected
fields only; for each notice in scope the eForms XML (`links.xml.MUL`) is fetched for lots, execution
conditions, criteria and results. If the XML cannot be had or is not eForms (pre-2024 TED XML), the notice
is archived from its search fields alone, never dropped. TED allows about 700 requests a minute: a delay
keeps us well under it.

    scrapy crawl ted -a from_date=2026-09-01 -a until_date=2026-09-30
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from notices.eforms_xml import NON_PROCUREMENT_TYPES, NotEforms, NotProcurement, tree_from_xml
from notices.ted import FIELDS, notice_links, parse_search_notice
from spiders.base import Part, WindowedSpider

MAX_FIELDS_PER_PAGE = 10_000


class TedSpider(WindowedSpider):
    name = "ted"
    source = "ted"
    config_key = "ted"
    custom_settings = {
        # An API for programs, not web pages: robots.txt rules for crawlers do not apply.
        "ROBOTSTXT_OBEY": False,
    }

    delay_from = "sources.ted.delay"  # TED: ~700 requests/min

    @property
    def limit(self) -> int:
        return min(self.source_config["page_size"], MAX_FIELDS_PER_PAGE // len(FIELDS))

    def query(self, part: Part) -> str:
        clauses = []
        scope = self.source_config["scope"].strip()
        if scope:
            clauses.append(f"({scope})")
        types = self.source_config["notice_types"]
        if types:
            clauses.append(f"notice-type IN ({' '.join(types)})")
        clauses.append(f"publication-date>={part.start:%Y%m%d} AND publication-date<={part.end:%Y%m%d}")
        return " AND ".join(clauses) + " SORT BY publication-number"

    def start_part(self, part: Part) -> Iterator[scrapy.Request]:
        yield self.search_request(part, None, 0)

    def search_request(self, part: Part, token: str | None, seen: int) -> scrapy.Request:
        body: dict[str, Any] = {
            "query": self.query(part),
            "fields": FIELDS,
            "limit": self.limit,
            "scope": "ALL",
            "paginationMode": "ITERATION",
            "onlyLatestVersions": False,
        }
        if token:
            body["iterationNextToken"] = token
        return scrapy.Request(
            f"{self.source_config['url'].rstrip('/')}/v3/notices/search",
            method="POST",
            body=json.dumps(body),
            headers={"Content-Type": "application/json", "Accept": "application/json"},
            callback=self.parse_search,
            errback=self.request_failed,
            cb_kwargs={"part": part, "token": token, "seen": seen},
            meta={"part": part, "handle_httpstatus_list": [400]},
            dont_filter=True,
        )

    def parse_search(self, response: Response, part: Part, token: str | None, seen: int) -> Iterator[Any]:
        data = self.read_answer(response, part, dict)
        if not isinstance(data, dict):  # the request again, or None: the window is failed
            if data is not None:
                yield data
            return
        if data.get("timedOut"):  # the page may be incomplete: ask again
            again = self.retry(response, f"search for {part.name} timed out", "timed_out")
            if again is None:
                self.fail(f"{response.url}: search timed out", part)
                return
            yield again
            return
        notices = data.get("notices") or []
        total = int(data.get("totalNoticeCount") or 0)
        next_token = data.get("iterationNextToken")
        seen += len(notices)
        if notices and next_token and next_token != token and seen < total:
            self.tracker.add_requests(part, 1)
            yield self.search_request(part, next_token, seen)
        elif next_token and notices:
            self.logger.debug("%s: token after the last page of %s ignored", self.name, part.name)
        for api in notices:
            if isinstance(api, dict) and api.get("notice-type") in NON_PROCUREMENT_TYPES:
                self.logger.info(
                    "%s: %s: not a procurement notice (%s), skipped",
                    self.name,
                    api.get("publication-number"),
                    api.get("notice-type"),
                )
                continue
            _, xml_url = notice_links(api)
            if self.source_config["fetch_xml"] and xml_url:
                self.tracker.add_requests(part, 1)
                yield scrapy.Request(
                    xml_url,
                    callback=self.parse_xml,
                    errback=self.xml_failed,
                    cb_kwargs={"part": part, "api": api},
                    meta={"part": part},
                    dont_filter=True,
                )
            else:
                yield from self.items_from_records([api], parse_search_notice, response.url, "publication-number")
        yield from self.part_done(part, len(notices))

    def parse_xml(self, response: Response, part: Part, api: dict[str, Any]) -> Iterator[Any]:
        try:
            tree = tree_from_xml(response.body)
        except NotProcurement as exc:
            self.logger.info("%s: %s: %s, skipped", self.name, response.url, exc)
            yield from self.part_done(part, 0)
            return
        except NotEforms as exc:
            self.logger.info("%s: %s: %s; archived from its search fields", self.name, response.url, exc)
            tree = None
        except ValueError as exc:  # truncated or broken XML: ask again, then make do with the search fields
            again = self.retry(response, f"{response.url}: {exc}", "invalid_xml")
            if again is not None:
                yield again
                return
            self.logger.warning("%s: %s: %s; archived from its search fields", self.name, response.url, exc)
            tree = None

        def parse(record: dict[str, Any], raw: str) -> Any:
            return parse_search_notice(record, xml_tree=tree, raw=raw)

        yield from self.items_from_records([api], parse, response.url, "publication-number")
        yield from self.part_done(part, 0)

    def xml_failed(self, failure: Failure) -> Iterator[Any]:
        """No XML (HTTP error, network): the notice is archived from its search fields."""
        request = failure.request
        api, part = request.cb_kwargs["api"], request.cb_kwargs["part"]
        self.logger.warning(
            "%s: XML of %s not fetched (%s); archived from its search fields",
            self.name,
            api.get("publication-number"),
            failure.getErrorMessage(),
        )
        yield from self.items_from_records([api], parse_search_notice, request.url, "publication-number")
        yield from self.part_done(part, 0)
