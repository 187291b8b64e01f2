"""The watch add-on: the watch configuration (config.yaml and its WATCH_* overrides) as Scrapy settings.

Loaded once per crawl, before the spider exists, from `WATCH_CONFIG` (`-s WATCH_CONFIG=...`, else the
environment, else ./config.yaml), so a crawl started by `run_watch.py crawl`, by hand or by a Scrapyd node
crawls the archive and the URLs its environment names. What spiders and components read:

- `WATCH_ARCHIVE`: the archive's path (the pipeline and the ArchiveState extension open it);
- `WATCH_SOURCES`: `sources.*` (BOAMP and TED: URL, page size, first-run days, TED scope...);
- `WATCH_PLATFORMS`: `platforms.*` (Atexo platforms, sites, feeds, their delay);
- Scrapy's own USER_AGENT, CONCURRENT_REQUESTS(_PER_DOMAIN), RETRY_TIMES, DOWNLOAD_TIMEOUT, LOG_LEVEL,
  MAX_RETRY_AFTER (spiders.middlewares), and DOWNLOAD_DELAY / AUTOTHROTTLE_START_DELAY from the key a
  spider class names in `delay_from`.

Values are set with the add-on priority (LOG_LEVEL: the project's): a spider's `custom_settings` and `-s` on
the command line win.
"""

from __future__ import annotations

from typing import Any

from settings.config import load

# Scrapy setting -> watch configuration key
CRAWL_SETTINGS = {
    "USER_AGENT": "crawl.user_agent",
    "CONCURRENT_REQUESTS": "crawl.concurrent_requests",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "crawl.concurrent_requests",
    "RETRY_TIMES": "crawl.retry_times",
    "MAX_RETRY_AFTER": "crawl.max_retry_after",
    "DOWNLOAD_TIMEOUT": "crawl.timeout",
}


class WatchAddon:
    def __init__(self, crawler: Any):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> WatchAddon:
        return cls(crawler)

    def update_settings(self, settings: Any) -> None:
        cfg = load(settings.get("WATCH_CONFIG") or None)
        values = cfg.as_dict()
        settings.set("WATCH_ARCHIVE", str(cfg.resolve_path("archive.path")), priority="addon")
        settings.set("WATCH_SOURCES", values["sources"], priority="addon")
        settings.set("WATCH_PLATFORMS", values["platforms"], priority="addon")
        for name, key in CRAWL_SETTINGS.items():
            settings.set(name, cfg[key], priority="addon")
        # over the project's start-up default (spiders/settings.py), not over `-s LOG_LEVEL=...` or `-L`
        settings.set("LOG_LEVEL", cfg["logging.level"].upper(), priority="project")
        delay_from = getattr(self.crawler.spidercls, "delay_from", None)
        if delay_from:
            settings.set("DOWNLOAD_DELAY", cfg[delay_from], priority="addon")
            settings.set("AUTOTHROTTLE_START_DELAY", max(cfg[delay_from], 0.1), priority="addon")
