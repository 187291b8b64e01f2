"""Scrapy settings shared by every spider. Values that vary per deployment come from config.yaml (and its
WATCH_* overrides) through the watch add-on, spiders/addon.py (archive, sources, user agent, concurrency,
retries, timeout, delays, log level)."""

BOT_NAME = "ess_tender_watch"
SPIDER_MODULES = ["spiders.sources"]
NEWSPIDER_MODULE = "spiders.sources"
COMMANDS_MODULE = "spiders.commands"  # `crawl` checks the spider's arguments before starting
ADDONS = {"spiders.addon.WatchAddon": 0}

# Politeness by default; API spiders that are not web pages say otherwise in their custom_settings.
ROBOTSTXT_OBEY = True
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False

# 429 is handled by RetryAfterMiddleware (it honours Retry-After, which Scrapy's RetryMiddleware ignores).
RETRY_ENABLED = True
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408]
DOWNLOADER_MIDDLEWARES = {"spiders.middlewares.RetryAfterMiddleware": 560}

ITEM_PIPELINES = {"spiders.pipelines.ArchivePipeline": 300}

# Operators read one progress line per window and a summary per crawl, not Scrapy's periodic stats.
# Until the add-on has read logging.level (it then sets LOG_LEVEL from it), Scrapy's start-up lines are INFO.
LOG_LEVEL = "INFO"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LOG_DATEFORMAT = "%Y-%m-%d %H:%M:%S"
EXTENSIONS = {
    "scrapy.extensions.logstats.LogStats": None,
    "scrapy.extensions.telnet.TelnetConsole": None,
    "spiders.extensions.ArchiveState": 500,  # watermark and source health read and written around a crawl
}
STATS_DUMP = False

# Responses are parsed in memory page by page; a BOAMP export of a busy day can be large.
DOWNLOAD_MAXSIZE = 512 * 1024 * 1024
DOWNLOAD_WARNSIZE = 128 * 1024 * 1024
LOG_VERSIONS: list[str] = []  # the version banner is noise in an operator log
