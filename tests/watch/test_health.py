"""`status` and the breakage alarms, from a run history written as the crawls would write it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from conftest import SmtpSink, Watch

from archive.db import open_db
from settings import config as watch_config
from watch.alarms import check_alarms
from watch.health import previous_firing, source_health

NOW = datetime.now(UTC)
PARIS = ZoneInfo("Europe/Paris")


def _config(watch: Watch, extra: str = "") -> watch_config.Config:
    watch.write_config(
        "sources:\n  ted:\n    enabled: false\n"
        "schedule:\n  cron: '15 8,14 * * mon-sun'\n"
        "alarms:\n  operators: [ops@example.org]\n  min_free_mb: 1\n" + extra
    )
    watch.env["WATCH_PLATFORMS_ATEXO"] = "[]"
    return watch_config.load(watch.env["WATCH_CONFIG"], env=watch.env)


def _run(watch: Watch, outcome: str, ago: timedelta, error: str | None = None, **counts: int) -> None:
    db = open_db(watch.db_path)
    moment = NOW - ago
    if ago < timedelta(days=1):  # "today's" runs stay on today's Paris date, even just after midnight
        midnight = datetime.combine(NOW.astimezone(PARIS).date(), datetime.min.time(), tzinfo=PARIS)
        moment = max(moment, midnight)
    started = moment.isoformat(timespec="seconds")
    with db.conn:
        db["runs"].insert(
            {"job": "crawl:boamp", "started": started, "finished": started, "outcome": outcome, "error": error} | counts
        )
    db.close()


def test_status_of_a_healthy_source_exits_0(watch: Watch) -> None:
    _config(watch)
    _run(watch, "ok", timedelta(minutes=5), fetched=120, new=80)
    proc = watch.run("status")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "boamp    ok" in proc.stdout and "120      80" in proc.stdout and proc.stdout.rstrip().endswith("healthy")


def test_status_of_a_late_source_exits_1(watch: Watch) -> None:
    _config(watch)
    _run(watch, "ok", timedelta(days=3))
    proc = watch.run("status")
    assert proc.returncode == 1
    assert "boamp    late" in proc.stdout and "no successful crawl since the one due at" in proc.stdout
    assert "UNHEALTHY" in proc.stdout


def test_status_of_a_failing_source_exits_1(watch: Watch) -> None:
    _config(watch)
    _run(watch, "ok", timedelta(minutes=30))
    for minutes in (20, 10, 1):
        _run(watch, "failed", timedelta(minutes=minutes), error="HTTP 503 on /records")
    proc = watch.run("status", "--json")
    assert proc.returncode == 1
    assert '"state": "failing"' in proc.stdout and "3 failed crawls in a row" in proc.stdout


def test_a_source_never_crawled_is_late(watch: Watch) -> None:
    _config(watch)
    proc = watch.run("status")
    assert proc.returncode == 1 and "never crawled successfully" in proc.stdout


def test_previous_firing_is_the_one_before_the_latest() -> None:
    now = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)  # 16:00 in Paris, a Monday
    assert previous_firing("15 8,14 * * mon-fri", "Europe/Paris", now) == datetime(2026, 11, 30, 7, 15, tzinfo=UTC)
    monday_morning = datetime(2026, 11, 30, 7, 30, tzinfo=UTC)  # the weekend is not late for a weekday cron
    assert previous_firing("15 8,14 * * mon-fri", "Europe/Paris", monday_morning) == datetime(
        2026, 11, 27, 13, 15, tzinfo=UTC
    )


def test_a_breakage_alarm_is_mailed_once_then_a_recovery(watch: Watch, smtp: SmtpSink) -> None:
    watch.env["WATCH_SMTP_URL"] = smtp.url
    config = _config(watch)
    _run(watch, "ok", timedelta(minutes=30))
    for minutes in (20, 10, 1):
        _run(watch, "failed", timedelta(minutes=minutes), error="HTTP 503 on /records")

    assert check_alarms(config)["mailed"] == 1
    assert check_alarms(config)["mailed"] == 0  # the same incident: not again
    [(sender, rcpt, msg)] = smtp.messages
    assert rcpt == ["ops@example.org"] and sender == "veille@example.org"
    assert msg["Subject"] == "[ESS watch] ALARM: boamp failing"
    assert "HTTP 503 on /records" in msg.get_content()

    _run(watch, "ok", timedelta(0), fetched=10, new=2)
    assert check_alarms(config) == {"opened": 0, "resolved": 1, "mailed": 1}
    assert smtp.messages[-1][2]["Subject"] == "[ESS watch] RECOVERED: boamp failing"
    assert check_alarms(config)["mailed"] == 0
    assert len(smtp.messages) == 2


def test_an_alarm_the_mail_server_refused_is_sent_at_the_next_check(watch: Watch, smtp: SmtpSink) -> None:
    watch.env["WATCH_SMTP_URL"] = smtp.url
    config = _config(watch)
    _run(watch, "ok", timedelta(minutes=30), fetched=100, quarantined=40)
    smtp.stop()
    assert check_alarms(config) == {"opened": 1, "resolved": 0, "mailed": 0}
    smtp.start()
    assert check_alarms(config) == {"opened": 0, "resolved": 0, "mailed": 1}
    assert smtp.messages[0][2]["Subject"] == "[ESS watch] ALARM: boamp quarantine spike"


def test_far_fewer_notices_than_usual_on_a_publishing_day(watch: Watch) -> None:
    config = _config(watch)
    paris_today = NOW.astimezone(PARIS).date()
    yesterday = paris_today - timedelta(days=1)
    db = open_db(watch.db_path)
    rows = [{"source": "boamp", "source_id": f"y{i}", "published": yesterday.isoformat()} for i in range(3)]
    for week in (1, 2, 3, 4):
        day = (yesterday - timedelta(weeks=week)).isoformat()
        rows += [{"source": "boamp", "source_id": f"w{week}-{i}", "published": day} for i in range(40)]
    with db.conn:
        db["notices"].insert_all(rows)
    _run(watch, "ok", timedelta(minutes=1))
    health = source_health(db, config, "boamp", NOW)
    db.close()
    if NOW.astimezone(PARIS).date() != paris_today:
        pytest.skip("midnight passed during the test")
    assert health.state == "ok"
    note = health.notes["low_volume"]
    assert note.startswith("3 notices published on") and "usually 40 on that weekday" in note


def test_a_crawl_that_cannot_reach_its_source_is_recorded_as_failed(watch: Watch) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    _config(watch)
    watch.env["WATCH_BOAMP_URL"] = f"http://127.0.0.1:{port}/api/explore/v2.1/catalog/datasets/boamp"
    proc = watch.run("crawl", "boamp")
    assert proc.returncode == 2 and "network unreachable" in proc.stderr
    db = open_db(watch.db_path)
    [run] = list(db.query("select job, outcome, error from runs"))
    db.close()
    assert run["job"] == "crawl:boamp" and run["outcome"] == "failed" and "cannot reach 127.0.0.1" in run["error"]
