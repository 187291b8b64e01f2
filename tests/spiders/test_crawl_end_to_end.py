"""A few real crawls (`run_watch.py crawl` -> `scrapy crawl`) against the replay servers, one per spider family.

Everything a callback decides is tested in process (test_*_spider.py, test_components.py); these check
what only a real crawl shows: the add-on, extension, middlewares and pipeline wired by the project settings,
a crawl killed midway then run again, 429/5xx/cut connections handled by the downloader, robots.txt fetched.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import time
from datetime import date, timedelta

from conftest import FIXTURES, Watch, all_boamp_records, serve_boamp, serve_ted, ted_corpus

from replay.boamp import rekeyed
from replay.platforms import recorded_platforms
from replay.server import Fault, ReplayServer


def run_ok(watch: Watch, *args: str) -> str:
    proc = watch.run("crawl", *args)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stderr


def test_a_crawl_killed_midway_then_rerun_loses_and_doubles_nothing(replay: ReplayServer, watch: Watch) -> None:
    days = [date(2026, 2, 2) + timedelta(days=i) for i in range(3)]
    records = rekeyed(all_boamp_records(), 1_500, days)
    serve_boamp(replay, watch, records)
    watch.write_config(f"crawl:\n  concurrent_requests: 1\nlogging:\n  file: {watch.tmp / 'watch.log'}\n")
    replay.delay = 0.15
    proc = watch.popen("crawl", "boamp", "--from", "2026-02-02", "--until", "2026-02-04")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if watch.db_path.exists() and watch.count() >= 500:
                break
        except sqlite3.OperationalError:  # the crawl is still creating the archive
            pass
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)  # the CLI and its scrapy child die mid-crawl
    proc.wait()
    time.sleep(0.5)
    partial = watch.count()
    assert 0 < partial < 1_500
    replay.delay = 0
    run_ok(watch, "boamp", "--from", "2026-02-02", "--until", "2026-02-04")
    assert watch.count() == 1_500
    assert watch.count("select count(distinct source_id) from notices") == 1_500
    db = watch.db()
    assert db.execute("select value from watermarks").fetchone()[0] == "2026-02-04"


def test_429_waits_for_retry_after_5xx_and_cut_connections_are_retried(replay: ReplayServer, watch: Watch) -> None:
    records = rekeyed(all_boamp_records(), 350, [date(2026, 4, 1)])
    serve_boamp(replay, watch, records)
    replay.add_fault(Fault("offset=100", 429, times=1, retry_after="1"))
    replay.add_fault(Fault("offset=200", 503, times=2))
    replay.add_fault(Fault("offset=300", truncate="connection", times=1))
    started = time.monotonic()
    log = run_ok(watch, "boamp", "--from", "2026-04-01", "--until", "2026-04-01")
    assert time.monotonic() - started >= 1  # the wait of Retry-After: 1
    assert watch.count() == 350
    assert sum("offset=100" in line for line in replay.log) == 2
    assert sum("offset=200" in line for line in replay.log) == 3
    assert sum("offset=300" in line for line in replay.log) == 2
    assert "HTTP 429" in log and "waiting 1 s as asked" in log


def test_ted_crawl_pages_with_tokens_and_fetches_xml(replay: ReplayServer, watch: Watch) -> None:
    notices, xml = ted_corpus()
    serve_ted(replay, watch, notices, xml)
    watch.write_config(f"sources:\n  ted:\n    page_size: 5\n    delay: 0\nlogging:\n  file: {watch.tmp / 'l.log'}\n")
    run_ok(watch, "ted", "--from", "2019-01-01", "--until", "2026-09-30")
    dated = [n for n in notices if n.get("publication-date")]
    assert watch.count("select count(*) from notices where source = 'ted'") == len(dated)
    searches = [line for line in replay.log if "/v3/notices/search" in line]
    assert len(searches) == -(-len(dated) // 5)  # every page once, no page after the last one
    assert sum("/xml" in line for line in replay.log) == len(dated)
    db = watch.db()
    row = db["notices"].get(("ted", "900008-2019"))  # an eForms example: detail from its XML
    assert json.loads(row["lots"]) and row["deadline"] == "2019-06-24T16:00:00+00:00"
    row = db["notices"].get(("ted", "626146-2026"))  # no XML recorded: archived from the search fields
    assert row["buyer_siret"] == "13001535700010" and json.loads(row["lots"]) == []


def test_atexo_feed_and_pages(replay: ReplayServer, watch: Watch) -> None:
    watch.env["WATCH_PLATFORMS_ATEXO"] = json.dumps(recorded_platforms(replay, FIXTURES / "buyers"))
    watch.write_config(f"platforms:\n  delay: 0\nlogging:\n  file: {watch.tmp / 'l.log'}\n")
    run_ok(watch, "atexo")
    rows = {r["source_id"]: r for r in watch.db().query("select * from notices")}
    assert set(rows) == {"803968", "624658", "625646", "625746"}
    assert rows["625646"]["deadline"] == "2020-09-16T12:00:00+02:00"
    assert any("robots.txt" in line for line in replay.log)
    assert watch.count("select count(*) from source_health") == 2  # written by the ArchiveState extension


def test_network_unreachable_is_said_plainly(watch: Watch) -> None:
    watch.env["WATCH_BOAMP_URL"] = "http://127.0.0.1:9/api/explore/v2.1/catalog/datasets/boamp"
    proc = watch.run("crawl", "boamp")
    assert proc.returncode == 2
    assert "network unreachable" in proc.stderr
