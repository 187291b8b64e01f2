"""Running spiders: one `scrapy crawl` subprocess per source (Twisted's reactor cannot be restarted).

The subprocess inherits the environment (WATCH_* overrides included) and the config path; what it did is
read back from the archive's `runs` table, so the caller reports the same figures the spider recorded.
Before a live crawl the source's host is probed, so an unreachable network is said plainly instead of
surfacing as a pile of retried DNS errors.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from archive import runs
from archive.db import open_db
from settings import Config, WatchError

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent  # the directory holding the packages (source tree or site-packages)
SOURCES = ("boamp", "ted", "approch", "atexo", "sites", "feeds", "decp")  # spider names, in crawl order
PLATFORM_SPIDERS = {"atexo": "platforms.atexo", "sites": "platforms.sites", "feeds": "platforms.feeds"}


@dataclass
class CrawlResult:
    source: str
    exit_code: int
    run: dict[str, Any] | None
    error: str | None = None  # why no run was recorded by the spider

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and self.run is not None and self.run["outcome"] == "ok"

    def summary(self) -> str:
        if self.run is None:
            return f"{self.source}: crawl did not run: {self.error or f'exit code {self.exit_code}'}"
        r = self.run
        line = (
            f"{self.source}: {r['outcome']} - {r['fetched'] or 0:,} read, {r['new'] or 0:,} new, "
            f"{r['updated'] or 0:,} updated, {r['unchanged'] or 0:,} unchanged, {r['quarantined'] or 0:,} quarantined"
        )
        if r["failed_windows"]:
            line += f", {r['failed_windows']} failure(s): {r['error']}"
        return line


class NetworkUnreachable(WatchError, RuntimeError):
    """A source's host that cannot be reached (said plainly, before a crawl)."""


def probe(url: str, timeout: float = 5.0) -> None:
    """Raise NetworkUnreachable with a plain reason if the URL's host cannot be reached."""
    parsed = urlparse(url)
    host = parsed.hostname or ""
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return
    except OSError as exc:
        raise NetworkUnreachable(f"cannot reach {host}:{port} ({exc.strerror or exc})") from exc


def enabled_sources(config: Config) -> list[str]:
    """BOAMP and TED when enabled; a platform spider when something is configured for it."""
    return [
        s for s in SOURCES if (config[PLATFORM_SPIDERS[s]] if s in PLATFORM_SPIDERS else config[f"sources.{s}.enabled"])
    ]


def source_url(config: Config, source: str) -> str | None:
    if source in PLATFORM_SPIDERS:
        entries = config[PLATFORM_SPIDERS[source]]
        return entries[0]["url"] if entries else None
    url = config[f"sources.{source}.url"]
    if isinstance(url, list):  # DECP: a list of files
        return url[0] if url else None
    return url


def run_crawl(
    config: Config,
    source: str,
    *,
    from_date: date | None = None,
    until_date: date | None = None,
    detach: bool = False,
) -> CrawlResult:
    """One crawl. `detach` (serve) puts scrapy in its own session, so a Ctrl-C meant for the service lets
    the running crawl finish instead of interrupting it."""
    url = source_url(config, source)
    if url is None:
        logger.info("%s: nothing configured, nothing to crawl", source)
        return CrawlResult(source, 0, None)
    db_path = config.resolve_path("archive.path")
    try:
        probe(url)
    except NetworkUnreachable as exc:
        logger.error("%s: network unreachable: %s - nothing crawled", source, exc)
        return _failed(db_path, CrawlResult(source, 2, None, f"network unreachable: {exc}"))
    cmd = [sys.executable, "-m", "scrapy", "crawl", source, "-s", f"WATCH_CONFIG={config.path}"]
    if from_date and source not in PLATFORM_SPIDERS:
        cmd += ["-a", f"from_date={from_date.isoformat()}"]
    if until_date and source not in PLATFORM_SPIDERS:
        cmd += ["-a", f"until_date={until_date.isoformat()}"]
    env = dict(os.environ)
    env["SCRAPY_SETTINGS_MODULE"] = "spiders.settings"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))  # a bare checkout
    logger.info("%s: crawl starting (%s)", source, " ".join(cmd[3:]))
    with open_db(db_path) as db:
        last_id = runs.last_run_id(db, runs.crawl_job(source))
    # the settings module is named in the environment, so no scrapy.cfg is needed: this runs installed too
    proc = subprocess.run(cmd, cwd=config.base, env=env, check=False, start_new_session=detach)
    with open_db(db_path) as db:
        run = runs.run_after(db, runs.crawl_job(source), last_id)
    if run is None:
        error = f"scrapy exited with code {proc.returncode} before recording a run (see the log above)"
        return _failed(db_path, CrawlResult(source, proc.returncode or 1, None, error))
    result = CrawlResult(source, proc.returncode, run)
    (logger.info if result.ok else logger.error)("%s", result.summary())
    return result


def _failed(db_path: Path, result: CrawlResult) -> CrawlResult:
    """A crawl that never reached its spider still counts in the run history (and so in the alarms)."""
    logger.error("%s", result.summary())
    with open_db(db_path) as db:
        runs.record_run(db, runs.crawl_job(result.source), "failed", error=result.error)
    return result
