"""The BOAMP spider, run for real (`run_watch.py crawl` -> `scrapy crawl`) against the replay server."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import time
from datetime import date, timedelta

from conftest import Watch, all_boamp_records, record, serve_boamp

from replay.boamp import rekeyed
from replay.server import Fault, ReplayServer

ALL_DAYS = ["--from", "2006-01-01", "--until", "2026-09-30"]


def run_ok(watch: Watch, *args: str) -> str:
    proc = watch.run("crawl", "boamp", *args)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stderr


def test_crawl_archives_every_recorded_notice_once_and_a_rerun_changes_nothing(
    replay: ReplayServer, watch: Watch
) -> None:
    records = all_boamp_records()
    serve_boamp(replay, watch, records)
    log = run_ok(watch, *ALL_DAYS)
    assert f"{len(records)} new" in log
    assert watch.count() == len(records)
    log = run_ok(watch, *ALL_DAYS)
    assert f"0 new, 0 updated, {len(records)} unchanged" in log
    assert watch.count() == len(records)
    assert watch.count("select count(*) from runs where outcome = 'ok'") == 2
    # every request carried order_by and the API's maximum page size
    assert all("order_by=" in line and "limit=100" in line for line in replay.log)


def test_default_window_starts_after_the_watermark(replay: ReplayServer, watch: Watch) -> None:
    serve_boamp(replay, watch, all_boamp_records())
    run_ok(watch, "--from", "2026-01-01", "--until", "2026-01-31")
    db = watch.db()
    (mark,) = db.execute("select value from watermarks where source = 'boamp'").fetchone()
    assert mark == "2026-01-31"
    replay.log.clear()
    run_ok(watch)  # no dates: from the day after the watermark to today
    # the days are asked concurrently: the first one asked is 1 February, and nothing before it
    assert any("%3E%3D+date%272026-02-01%27" in line for line in replay.log)
    assert not any("date%272026-01-31%27" in line for line in replay.log)


def test_a_day_over_the_10000_cap_is_read_whole(replay: ReplayServer, watch: Watch) -> None:
    day = date(2026, 3, 2)
    mapa = rekeyed([record("26-80528"), record("24-76932")], 10_200, [day])
    fns = rekeyed([record("26-81190"), record("26-7298")], 1_800, [day])
    for r in fns:
        r["idweb"] = "F" + r["idweb"]
    serve_boamp(replay, watch, mapa + fns)
    log = run_ok(watch, "--from", "2026-03-01", "--until", "2026-03-03")
    assert watch.count() == 12_000
    assert "over the API cap" in log and "export endpoint" in log
    assert any("/exports/json" in line and "MAPA" in line for line in replay.log)
    db = watch.db()
    assert db.execute("select value from watermarks").fetchone()[0] == "2026-03-03"


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
    run_ok(watch, "--from", "2026-02-02", "--until", "2026-02-04")
    assert watch.count() == 1_500
    assert watch.count("select count(distinct source_id) from notices") == 1_500
    db = watch.db()
    assert db.execute("select value from watermarks").fetchone()[0] == "2026-02-04"


def test_429_waits_for_retry_after_and_500_is_retried(replay: ReplayServer, watch: Watch) -> None:
    records = rekeyed(all_boamp_records(), 350, [date(2026, 4, 1)])
    serve_boamp(replay, watch, records)
    replay.add_fault(Fault("offset=100", 429, times=2, retry_after="1"))
    replay.add_fault(Fault("offset=200", 503, times=2))
    started = time.monotonic()
    log = run_ok(watch, "--from", "2026-04-01", "--until", "2026-04-01")
    assert time.monotonic() - started >= 2  # two waits of Retry-After: 1
    assert watch.count() == 350
    assert sum("offset=100" in line for line in replay.log) == 3
    assert sum("offset=200" in line for line in replay.log) == 3
    assert "HTTP 429" in log and "waiting 1 s as asked" in log


def test_truncated_bodies_are_retried(replay: ReplayServer, watch: Watch) -> None:
    records = rekeyed(all_boamp_records(), 250, [date(2026, 4, 2)])
    serve_boamp(replay, watch, records)
    replay.add_fault(Fault("offset=0", truncate="body", times=1))
    replay.add_fault(Fault("offset=100", truncate="connection", times=1))
    log = run_ok(watch, "--from", "2026-04-02", "--until", "2026-04-02")
    assert watch.count() == 250
    assert "invalid JSON body" in log


def test_a_window_that_keeps_failing_does_not_move_the_watermark(replay: ReplayServer, watch: Watch) -> None:
    records = rekeyed(all_boamp_records(), 250, [date(2026, 4, 3)])
    serve_boamp(replay, watch, records)
    replay.add_fault(Fault("offset=200", 500, times=100))
    proc = watch.run("crawl", "boamp", "--from", "2026-04-03", "--until", "2026-04-03")
    assert proc.returncode == 1
    assert "not read whole" in proc.stderr and "HTTP 500" in proc.stderr
    assert watch.count() == 200  # what was read is kept
    db = watch.db()
    assert db.execute("select count(*) from watermarks").fetchone()[0] == 0
    (outcome, failed) = db.execute("select outcome, failed_windows from runs").fetchone()
    assert (outcome, failed) == ("partial", 1)


def test_malformed_records_are_quarantined_and_the_run_goes_on(replay: ReplayServer, watch: Watch) -> None:
    records = [dict(r) for r in all_boamp_records()]
    records[0]["donnees"] = '{"FNSimple": {"initial": '  # truncated JSON inside the record
    records[1] = {k: v for k, v in records[1].items() if k != "idweb"}
    records[1]["dateparution"] = records[1].get("dateparution")
    serve_boamp(replay, watch, records)
    log = run_ok(watch, *ALL_DAYS)
    assert watch.count() == len(records) - 2
    db = watch.db()
    rows = list(db.query("select source_id, error, raw, times_seen from quarantine order by error"))
    assert len(rows) == 2
    assert any("donnees" in r["error"] and r["source_id"] == records[0]["idweb"] for r in rows)
    assert any("no idweb" in r["error"] for r in rows)
    assert all(json.loads(r["raw"]) for r in rows)
    assert "quarantined" in log
    run_ok(watch, *ALL_DAYS)
    assert db.execute("select count(*), sum(times_seen) from quarantine").fetchone() == (2, 4)


def test_network_unreachable_is_said_plainly(watch: Watch) -> None:
    watch.env["WATCH_BOAMP_URL"] = "http://127.0.0.1:9/api/explore/v2.1/catalog/datasets/boamp"
    proc = watch.run("crawl", "boamp")
    assert proc.returncode == 2
    assert "network unreachable" in proc.stderr
