"""`backup`, `prune` and `check-config`, as an operator runs them."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime, timedelta

from conftest import Watch, all_boamp_records, serve_boamp

from archive.db import open_db
from replay.server import ReplayServer
from watch import cli
from watch.maintenance import backup


def _crawl_started(path) -> bool:
    """The archive exists and the crawl has recorded its run (the schema is in place)."""
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            return db.execute("select count(*) from runs").fetchone()[0] > 0
    except sqlite3.Error:
        return False


def test_backup_while_a_crawl_writes_gives_readable_copies(watch: Watch, tmp_path) -> None:
    slow = ReplayServer(delay=0.3).start()  # one page of 3 records every 0.3 s: the crawl lasts
    try:
        serve_boamp(slow, watch, all_boamp_records())
        watch.write_config(f"sources:\n  boamp:\n    page_size: 3\nlogging:\n  file: {tmp_path / 'watch.log'}\n")
        crawl = watch.popen("crawl", "boamp", "--from", "2006-01-01", "--until", "2026-09-30")
        copies = []
        while crawl.poll() is None and len(copies) < 50:
            if _crawl_started(watch.db_path):
                target = tmp_path / f"copy-{len(copies)}.db"
                backup(watch.db_path, target)  # what `backup` runs, taken from this process while the crawl writes
                copies.append(target)
            time.sleep(0.1)
        assert crawl.wait(timeout=120) == 0
    finally:
        slow.stop()
    assert len(copies) >= 2, "the crawl ended before any backup was taken"
    counts, during = [], 0
    for copy in copies:
        db = sqlite3.connect(copy)
        assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
        counts.append(db.execute("select count(*) from notices").fetchone()[0])
        assert db.execute("select count(*) from notices_fts").fetchone()[0] == counts[-1]
        during += db.execute("select count(*) from runs where outcome = 'running'").fetchone()[0]
        db.close()
    assert during, "no copy was taken while a crawl was running"
    assert counts == sorted(counts) and counts[-1] <= 27
    proc = watch.run("backup", str(copies[0]))
    assert proc.returncode == 2 and "never overwrites" in proc.stderr


def test_prune_drops_old_raw_payloads_and_keeps_notices(replay: ReplayServer, watch: Watch) -> None:
    serve_boamp(replay, watch, all_boamp_records())
    assert watch.run("crawl", "boamp", "--from", "2006-01-01", "--until", "2026-09-30").returncode == 0
    db = open_db(watch.db_path)
    old = (datetime.now(UTC) - timedelta(days=400)).isoformat(timespec="seconds")
    with db.conn:
        db.execute(
            "update raw_records set fetched_at = ? where source_id in (select source_id from raw_records limit 10)",
            [old],
        )
    db.close()
    proc = watch.run("prune")
    assert proc.returncode == 0 and proc.stdout.strip() == "10 raw payloads dropped"
    assert watch.count() == 27 and watch.count("select count(*) from raw_records") == 17


def test_check_config_summarises_a_valid_configuration(watch: Watch) -> None:
    watch.env["WATCH_OPERATORS"] = "ops@example.org"
    proc = watch.run("check-config")
    assert proc.returncode == 0, proc.stderr
    assert "valid" in proc.stdout and "WATCH_OPERATORS" in proc.stdout and "job boamp" in proc.stdout
    assert "alarms to: ops@example.org" in proc.stdout


def test_check_config_names_the_bad_key(watch: Watch, capsys) -> None:
    cases = {
        "schedule:\n  jobs:\n    boamp: '61 8 * * *'\n": "schedule.jobs.boamp: not a valid crontab expression",
        "schedule:\n  jobs:\n    bomp: '0 8 * * *'\n": "schedule.jobs.bomp: unknown job",
        "schedule:\n  cron: '0 8 * * 1-5'\n": "schedule.cron: use weekday names",
        "alarms:\n  low_ratio: 2\n": "alarms.low_ratio: expected a number between 0 and 1",
        "alarms:\n  operators: ops@example.org\n": "alarms.operators: expected list",
        "maintenance:\n  raw_dys: 3\n": "maintenance.raw_dys: unknown key",
    }
    for text, message in cases.items():  # in process: the configuration is refused before anything runs
        watch.write_config(text)
        assert cli.main(["--config", watch.env["WATCH_CONFIG"], "check-config"]) == 2, text
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1, (text, err)


def test_a_bad_environment_override_names_the_variable(watch: Watch) -> None:
    watch.env["WATCH_SCHEDULE_CRON"] = "15 8 * * 1"
    proc = watch.run("check-config")
    assert proc.returncode == 2
    assert "environment WATCH_SCHEDULE_CRON (schedule.cron: use weekday names" in proc.stderr
