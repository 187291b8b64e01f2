"""Runs and incidents (archive/runs.py): the run history every job leaves, and the alarms' incidents."""

from __future__ import annotations

from pathlib import Path

import sqlite_utils

from archive import runs
from archive.db import open_db


def db(tmp_path: Path) -> sqlite_utils.Database:
    return open_db(tmp_path / "a.db")


def test_crawl_job_names_a_source_crawl() -> None:
    assert runs.crawl_job("boamp") == "crawl:boamp"


def test_start_finish_and_read_back(tmp_path: Path) -> None:
    d = db(tmp_path)
    assert runs.last_run_id(d, "classify") == 0 and runs.last_run(d, "classify") is None
    first = runs.start_run(d, "classify")
    assert runs.last_run(d, "classify")["outcome"] == "running"
    assert runs.finished_runs(d, "classify") == []
    runs.finish_run(d, first, "ok", classified=12)
    second = runs.start_crawl(d, "boamp")
    runs.finish_run(d, second, "failed", error="boom", fetched=3)
    assert runs.last_run_id(d, "crawl:boamp") == second
    assert runs.run_after(d, "crawl:boamp", second) is None
    assert runs.run_after(d, "crawl:boamp", 0)["error"] == "boom"
    [done] = runs.finished_runs(d, "classify")
    assert (done["outcome"], done["classified"]) == ("ok", 12) and done["finished"]
    assert [r["job"] for r in runs.latest_runs(d)] == ["crawl:boamp", "classify"]
    third = runs.record_run(d, runs.crawl_job("ted"), "failed", error="network unreachable")
    assert runs.last_run(d, "crawl:ted")["id"] == third and runs.last_run(d, "crawl:ted")["finished"]


def test_dead_and_stale_runs_are_closed(tmp_path: Path) -> None:
    d = db(tmp_path)
    dead = runs.start_run(d, "alerts")
    with d.conn:
        d.execute("update runs set pid = 2147483646 where id = ?", [dead])  # no such process
    stale = runs.start_run(d, "newsletter")
    with d.conn:
        d.execute("update runs set started = '2026-01-01T00:00:00+00:00', pid = null where id = ?", [stale])
    live = runs.start_run(d, "classify")  # closes the dead one
    assert d["runs"].get(dead)["outcome"] == "interrupted"
    assert runs.close_stale_runs(d, "2026-06-01T00:00:00+00:00") == 1
    assert d["runs"].get(stale)["outcome"] == "interrupted" and d["runs"].get(live)["outcome"] == "running"


def test_incidents_open_resolve_and_notify(tmp_path: Path) -> None:
    d = db(tmp_path)
    first = runs.open_incident(d, "boamp", "late", "no crawl since 08:00")
    second = runs.open_incident(d, "archive", "disk_space", "12 MB free")
    assert [i["id"] for i in runs.open_incidents(d)] == [first, second]
    assert [i["id"] for i in runs.alarms_to_notify(d)] == [first, second]
    runs.mark_incident(d, first, "notified_at")
    runs.resolve_incident(d, first)
    assert [i["id"] for i in runs.open_incidents(d)] == [second]
    assert [i["id"] for i in runs.recoveries_to_notify(d)] == [first]
    runs.mark_incident(d, first, "recovery_notified_at")
    assert runs.recoveries_to_notify(d) == [] and [i["id"] for i in runs.alarms_to_notify(d)] == [second]


def test_quarantine_counts(tmp_path: Path) -> None:
    from archive.store import Archive

    d = db(tmp_path)
    assert runs.quarantine_count(d) == 0 and runs.latest_quarantined(d) == []
    Archive(d).quarantine("boamp", "26-1", "bad date", "{raw}")
    Archive(d).quarantine("boamp", "26-1", "bad date", "{raw}")
    assert runs.quarantine_count(d) == 1
    assert runs.latest_quarantined(d)[0]["error"] == "bad date"
