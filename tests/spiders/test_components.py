"""The Scrapy components around the spiders, in process: the watch add-on, the ArchiveState extension, the
retry decisions on 429 and 5xx."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import ROOT
from inprocess import archive_env, make_spider, response_for, start_requests
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import NotConfigured
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from archive.db import open_db
from archive.store import Archive
from spiders.extensions import ArchiveState
from spiders.middlewares import RetryAfterMiddleware, retry_after_seconds
from spiders.sources.boamp import BoampSpider
from spiders.sources.ted import TedSpider

__all__ = ["archive_env"]  # the fixture, used by name


def test_the_addon_puts_the_configuration_and_its_environment_overrides_into_settings(
    tmp_path: Path, archive_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WATCH_BOAMP_URL", "http://scrapyd-node.test/boamp")
    config = "crawl:\n  retry_times: 2\n  timeout: 7\n  concurrent_requests: 3\nlogging:\n  level: warning\n"
    settings = make_spider(tmp_path, BoampSpider, config).settings
    assert settings["WATCH_ARCHIVE"] == str(archive_env)  # WATCH_DB, as a Scrapyd node's environment sets it
    assert settings.getdict("WATCH_SOURCES")["boamp"]["url"] == "http://scrapyd-node.test/boamp"
    assert settings.getint("RETRY_TIMES") == 2 and settings.getint("DOWNLOAD_TIMEOUT") == 7
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 3 and settings["LOG_LEVEL"] == "WARNING"
    assert settings.getfloat("DOWNLOAD_DELAY") == 0 and not settings.getbool("ROBOTSTXT_OBEY")
    ted = make_spider(tmp_path, TedSpider, "sources:\n  ted:\n    delay: 0.4\n").settings
    assert ted.getfloat("DOWNLOAD_DELAY") == 0.4  # TED's own delay (about 700 requests a minute allowed)


def test_the_project_settings_register_the_addon_and_the_extension() -> None:
    settings = Settings()
    settings.setmodule("spiders.settings", priority="project")
    assert "spiders.addon.WatchAddon" in settings.getdict("ADDONS")
    assert "spiders.extensions.ArchiveState" in settings.getdict("EXTENSIONS")
    assert {500, 503} <= set(settings.getlist("RETRY_HTTP_CODES")) and 429 not in settings.getlist("RETRY_HTTP_CODES")


def test_the_extension_hands_the_watermark_to_a_windowed_spider(tmp_path: Path, archive_env: Path) -> None:
    archive = Archive(open_db(archive_env))
    spider = make_spider(tmp_path, BoampSpider)
    mark = date.today() - timedelta(days=10)
    archive.complete_window("boamp", spider.endpoint, mark, mark, 3, final=True, crawl_from=mark)
    archive.db.close()
    ArchiveState(str(archive_env)).spider_opened(spider)
    assert spider.from_day == mark + timedelta(days=1)
    assert spider.tracker.crawl_from == spider.from_day
    with pytest.raises(NotConfigured):
        ArchiveState.from_crawler(get_crawler(BoampSpider))  # no archive set: off


def test_429_waits_as_asked_then_is_retried_through_scrapy_until_retry_times(tmp_path: Path, archive_env: Path) -> None:
    spider = make_spider(tmp_path, BoampSpider, "crawl:\n  retry_times: 2\n  max_retry_after: 5\n")
    middleware = RetryAfterMiddleware.from_crawler(spider.crawler)
    request = start_requests(spider)[0]
    started = time.monotonic()
    for attempt in (1, 2):
        too_many = response_for(request, b"{}", 429)
        too_many.headers["Retry-After"] = "0"
        request = asyncio.run(middleware.process_response(request, too_many))
        assert request.meta["retry_times"] == attempt and request.dont_filter
    final = asyncio.run(middleware.process_response(request, response_for(request, b"{}", 429)))
    assert final.status == 429  # given up: the errback fails the window
    assert time.monotonic() - started < 2
    stats = spider.crawler.stats.get_stats()
    assert stats["retry/reason_count/429 Too Many Requests"] == 2 and stats["retry/max_reached"] == 1
    ok = response_for(request, b"{}", 200)
    assert asyncio.run(middleware.process_response(request, ok)) is ok


def test_retry_after_is_seconds_or_an_http_date_and_capped() -> None:
    assert retry_after_seconds(b"12") == 12 and retry_after_seconds(None) == 30
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0  # in the past: no wait
    assert retry_after_seconds("soon") == 30


def test_5xx_are_retried_by_scrapy_with_the_configured_retry_times(tmp_path: Path, archive_env: Path) -> None:
    spider = make_spider(tmp_path, BoampSpider, "crawl:\n  retry_times: 1\n")
    middleware = RetryMiddleware.from_crawler(spider.crawler)
    request = start_requests(spider)[0]
    again = middleware.process_response(request, response_for(request, b"", 503))
    assert again.meta["retry_times"] == 1
    assert middleware.process_response(again, response_for(again, b"", 503)).status == 503  # then the errback


def test_spiders_neither_load_the_configuration_nor_touch_the_archive() -> None:
    code = (
        "import sys, spiders.sources.boamp, spiders.sources.ted, spiders.sources.atexo, spiders.sources.sites, "
        "spiders.sources.feeds\nprint(sorted(m for m in sys.modules if m.split('.')[0] == 'watch'))"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"  # the app shell is never imported by a spider
    classes = [ROOT / "spiders" / f for f in ("root.py", "base.py", "pages.py")]
    for path in classes + sorted((ROOT / "spiders" / "sources").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert "open_db" not in text and "Archive(" not in text and "config.load" not in text, path
