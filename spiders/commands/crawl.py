"""`scrapy crawl` with the spider's arguments checked first: a bad `-a from_date=2026-13-01` is one usage line.

Scrapy creates the spider inside its asyncio crawl task, where an exception from `__init__` surfaces as
"Task exception was never retrieved" with a traceback. Spiders that define `check_arguments(**kwargs)` have
them checked here, before the crawl, and a ValueError becomes Scrapy's own UsageError.
"""

from __future__ import annotations

import argparse

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError


class Command(ScrapyCrawl):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) == 1 and self.crawler_process is not None:
            try:
                spidercls = self.crawler_process.spider_loader.load(args[0])
            except KeyError as exc:
                raise UsageError(f"no spider {args[0]!r}", print_help=False) from exc
            check = getattr(spidercls, "check_arguments", None)
            if check is not None:
                try:
                    check(**opts.spargs)
                except ValueError as exc:
                    raise UsageError(str(exc), print_help=False) from exc
        super().run(args, opts)
