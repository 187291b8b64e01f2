"""Spiders run in process (as kingfisher-collect's tests do): a crawler with settings, fake responses, callbacks
called directly.

`make_spider` builds a spider through `scrapy.utils.test.get_crawler` with the project's settings, and so
with the watch add-on: the configuration reaches it as in a real crawl (a config file, WATCH_* environment
overrides). `Replay` answers scrapy requests in process with the replay datasets' own handlers
(replay/*.py), with injected faults, and `run` drives a spider over it the way the engine would (callbacks,
errbacks for HTTP errors, the requests they yield), with the ArchiveState extension and the archive pipeline
around it: what lands in the archive is what a `scrapy crawl` would write, without a subprocess, a socket or
a reactor.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import scrapy
import sqlite_utils
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, TextResponse, XmlResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from replay.server import Fault
from replay.server import Request as ReplayRequest
from replay.server import Response as ReplayResponse
from spiders import settings as project_settings
from spiders.extensions import ArchiveState
from spiders.items import NoticeItem, QuarantineItem, WindowDone
from spiders.pipelines import ArchivePipeline

URL = "http://replay.test"


def make_spider(tmp_path: Path, spidercls: type[scrapy.Spider], config: str = "", **kwargs: Any) -> Any:
    """A spider of `spidercls` on a crawler whose settings come from the watch add-on and `config`."""
    path = tmp_path / "config.yaml"
    path.write_text(config, encoding="utf-8")
    settings = {k: v for k, v in vars(project_settings).items() if k.isupper()}  # as `scrapy crawl` has them
    crawler = get_crawler(spidercls, {**settings, "WATCH_CONFIG": str(path)})
    spider = spidercls.from_crawler(crawler, **kwargs)
    crawler.spider = spider
    return spider


def response_for(request: scrapy.Request, body: bytes, status: int = 200, content_type: str = "") -> Any:
    """The response Scrapy would build for `request` (HTML, XML or text by content type)."""
    kind = HtmlResponse if "html" in content_type else XmlResponse if "xml" in content_type else TextResponse
    headers = {"Content-Type": content_type} if content_type else {}
    return kind(request.url, status=status, body=body, request=request, headers=headers, encoding="utf-8")


def call(request: scrapy.Request, response: Any) -> list[Any]:
    """A callback called as the engine calls it."""
    return list(request.callback(response, **request.cb_kwargs) or [])


def errback(request: scrapy.Request, exc: Exception) -> list[Any]:
    """An errback called as the engine calls it (the failure knows its request)."""
    failure = Failure(exc)
    failure.request = request  # type: ignore[attr-defined]
    return list(request.errback(failure) or [])


def start_requests(spider: scrapy.Spider) -> list[scrapy.Request]:
    async def collect() -> list[scrapy.Request]:
        return [r async for r in spider.start()]

    return asyncio.run(collect())


@dataclass
class Replay:
    """The replay datasets' routes, answered in process (no socket), with the server's fault injection."""

    url: str = URL
    routes: list[tuple[str, str, Callable[[ReplayRequest], ReplayResponse]]] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    disallow: tuple[str, ...] = ()  # paths robots.txt forbids: the request is ignored, as RobotsTxtMiddleware does

    def route(self, method: str, prefix: str, handler: Callable[[ReplayRequest], ReplayResponse]) -> None:
        self.routes.append((method, prefix, handler))

    def add_fault(self, fault: Fault) -> Fault:
        self.faults.append(fault)
        return fault

    def answer(self, request: scrapy.Request) -> ReplayResponse:
        parts = urlsplit(request.url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        self.log.append(f"{request.method} {target}")
        fault = next((f for f in self.faults if f.match in target and f.served < f.times), None)
        if fault is not None:
            fault.served += 1
            if not fault.truncate:
                headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                return ReplayResponse(fault.status, b'{"error_code": "InjectedFault"}', headers=headers)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        handler = next((h for m, p, h in self.routes if m == request.method and parts.path.startswith(p)), None)
        if handler is None:
            return ReplayResponse(404, b'{"error_code": "NotFound"}')
        response = handler(ReplayRequest(request.method, parts.path, query, request.body, {}))
        if fault is not None:  # a truncated body
            response = ReplayResponse(response.status, response.body[: max(1, len(response.body) // 2)])
        return response


@dataclass
class Crawl:
    spider: Any
    items: list[Any]
    stats: dict[str, Any]

    def notices(self) -> list[Any]:
        return [i.notice for i in self.items if isinstance(i, NoticeItem)]

    def quarantined(self) -> list[QuarantineItem]:
        return [i for i in self.items if isinstance(i, QuarantineItem)]

    def windows(self) -> list[WindowDone]:
        return [i for i in self.items if isinstance(i, WindowDone)]


def drive(spider: Any, replay: Replay, requests: Iterable[scrapy.Request]) -> list[Any]:
    """Answer requests until none is left; returns the items the callbacks handed over, in order."""
    queue, items = list(requests), []
    while queue:
        request = queue.pop(0)
        path = urlsplit(request.url).path
        if any(path.startswith(p) for p in replay.disallow):
            out = errback(request, IgnoreRequest("Forbidden by robots.txt"))
        else:
            answer = replay.answer(request)
            response = response_for(request, answer.body, answer.status, answer.content_type)
            allowed = request.meta.get("handle_httpstatus_list", [])
            if 200 <= answer.status < 300 or answer.status in allowed:
                out = call(request, response)
            else:
                out = errback(request, HttpError(response, "Ignoring non-200 response"))
        for thing in out:
            (queue if isinstance(thing, scrapy.Request) else items).append(thing)
    return items


def run(spider: Any, replay: Replay) -> Crawl:
    """One crawl as the engine runs it: the extension and the pipeline around the spider's callbacks."""
    crawler = spider.crawler
    state = ArchiveState(crawler.settings["WATCH_ARCHIVE"])
    pipeline = ArchivePipeline(crawler)
    pipeline.open_spider()
    state.spider_opened(spider)
    items = drive(spider, replay, start_requests(spider))
    for item in items:
        pipeline.process_item(item)
    pipeline.close_spider()
    spider.close(spider, "finished")  # the spider's own `closed`, then the extension, then the pipeline
    state.spider_closed(spider, "finished")
    pipeline.spider_closed(spider, "finished")
    return Crawl(spider, items, crawler.stats.get_stats())


@pytest.fixture
def archive_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No WATCH_* variable of the machine running the tests; the archive in the test's directory."""
    for name in [k for k in os.environ if k.startswith("WATCH_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("WATCH_DB", str(tmp_path / "watch.db"))
    return tmp_path / "watch.db"


def db(path: Path) -> sqlite_utils.Database:
    return sqlite_utils.Database(path)
