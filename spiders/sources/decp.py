"""Awarded contracts (DECP): the files configured in `sources.decp.url`, whatever their format.

A DECP file is a whole snapshot (the 2.0.x JSON of a source, the consolidated decp.csv of decp-processing,
a flattened CSV), not a feed by date: each URL is read whole every run, and the archive's content hash
(archive.contracts) turns a re-read into "unchanged". The format is read from the content (notices.decp);
records are mapped one at a time from the body, so only one batch of contracts is in memory beside the
body itself, whose size `sources.decp.max_mb` caps. Scrapy holds a download in memory until it is
complete: the 2.5 GB consolidated file is better fetched with curl and read by `run_watch.py contracts
load`. A record that cannot be read goes to quarantine; a file cut short is asked again (the retry
middleware's budget), and what was read before the cut is kept. `from_date` / `until_date` keep only the
contracts notified in that range.

    scrapy crawl decp [-a from_date=2024-01-01] [-a until_date=2024-12-31]
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from functools import cached_property
from typing import Any
from urllib.parse import unquote, urlsplit

import scrapy
from scrapy.http import Response

from notices.checks import RecordError
from notices.decp import SOURCE, Problem, read_contracts
from spiders.base import day_range
from spiders.items import ContractItem, QuarantineItem
from spiders.root import WatchSpider

PROGRESS_EVERY = 50_000


class DecpSpider(WatchSpider):
    name = "decp"
    custom_settings = {
        # Open-data files meant for programs, not web pages: robots.txt rules for crawlers do not apply.
        "ROBOTSTXT_OBEY": False,
    }

    @classmethod
    def check_arguments(cls, from_date: str | None = None, until_date: str | None = None, **_: Any) -> None:
        day_range(from_date, until_date)

    def __init__(self, from_date: str | None = None, until_date: str | None = None, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.from_day, self.until_day = day_range(from_date, until_date)
        self.records_read = 0

    @cached_property
    def source_config(self) -> dict[str, Any]:
        return self.settings.getdict("WATCH_SOURCES")["decp"]

    @property
    def urls(self) -> list[str]:
        url = self.source_config["url"]
        return [url] if isinstance(url, str) else list(url)

    async def start(self) -> Any:
        for url in self.urls:
            self.logger.info("decp: reading %s into %s", url, self.archive_path)
            yield scrapy.Request(
                url,
                callback=self.parse_file,
                errback=self.request_failed,
                dont_filter=True,
                meta={"download_maxsize": self.source_config["max_mb"] * 1024 * 1024},
            )

    def parse_file(self, response: Response) -> Iterator[Any]:
        """Every contract of one file; its problems quarantined, a cut file asked again."""
        dataset = _file_name(response)
        read = kept = 0
        try:
            for found in read_contracts(io.BytesIO(response.body), dataset=dataset):
                if isinstance(found, Problem):
                    if not found.whole_file:
                        yield QuarantineItem(SOURCE, found.record_id, found.reason, found.raw, response.url)
                        continue
                    again = self.retry(response, f"{response.url}: {found.reason}", "invalid_body")
                    if again is not None:
                        yield again
                    else:
                        self.fail(f"{response.url}: {found.reason}; {read:,} contracts read before it kept")
                    return
                read += 1
                self.records_read += 1
                if self.records_read % PROGRESS_EVERY == 0:
                    self.logger.info("decp: %s contracts read", f"{self.records_read:,}")
                if not self._in_range(found.notified):
                    continue
                kept += 1
                yield ContractItem(found)
        except RecordError as exc:  # not a DECP file at all (an HTML error page, another CSV)
            self.fail(f"{response.url}: {exc}")
            return
        self.logger.info("decp: %s: %s contracts read, %s kept", dataset, f"{read:,}", f"{kept:,}")

    def _in_range(self, notified: date | None) -> bool:
        if self.from_day is None and self.until_day is None:
            return True
        if notified is None:
            return False
        return (self.from_day is None or notified >= self.from_day) and (
            self.until_day is None or notified <= self.until_day
        )


def _file_name(response: Response) -> str:
    """The file's name as served (Content-Disposition), else the last part of its URL."""
    disposition = response.headers.get("Content-Disposition", b"").decode("latin-1")
    if "filename=" in disposition:
        return disposition.split("filename=", 1)[1].strip("\"'; ")
    return unquote(urlsplit(response.url).path.rsplit("/", 1)[-1]) or response.url
