"""One job runner: CLI commands record their runs as serve does; one function per command; WatchError is one line."""

from __future__ import annotations

import pytest
from conftest import Watch, all_boamp_records

from archive import runs
from archive.db import open_db
from archive.store import Archive
from notices.boamp import parse_record
from settings import WatchError
from settings import config as watch_config
from watch import cli
from watch.jobs import run_job


def load(watch: Watch, monkeypatch: pytest.MonkeyPatch) -> watch_config.Config:
    for key, value in watch.env.items():
        if key.startswith("WATCH_"):
            monkeypatch.setenv(key, value)
    return watch_config.load(watch.tmp / "config.yaml")


def test_every_command_is_a_documented_function() -> None:
    for name, command in cli.COMMANDS.items():
        assert command.run.__name__ == "cmd_" + name.replace("-", "_")
        assert command.help and command.description, name


def test_cli_jobs_record_their_runs_like_serve(watch: Watch, monkeypatch: pytest.MonkeyPatch) -> None:
    with open_db(watch.db_path) as db:
        Archive(db).upsert_notices([parse_record(r) for r in all_boamp_records()])
    assert watch.run("link").returncode == 0
    assert watch.run("classify").returncode == 0
    out = watch.tmp / "news"
    news = watch.run("newsletter", "--week", "2026-W37", "--format", "md", "--out", str(out / "n.md"))
    assert news.returncode == 0 and news.stdout.strip() == str(out / "n.md")
    with open_db(watch.db_path) as db:
        assert runs.last_run(db, "link")["outcome"] == "ok"
        classified = runs.last_run(db, "classify")
        assert classified["outcome"] == "ok" and classified["classified"] == 27
        assert runs.last_run(db, "newsletter")["outcome"] == "ok"
    status = watch.run("status")
    assert "job classify: last ok" in status.stdout and "job newsletter: last ok" in status.stdout


def test_a_watch_error_is_one_line_and_exit_2_and_the_run_is_recorded_failed(watch: Watch) -> None:
    proc = watch.run("newsletter", "--week", "2026-49")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1] == "newsletter: expected an ISO week like 2026-W49, got '2026-49'"
    with open_db(watch.db_path) as db:
        run = runs.last_run(db, "newsletter")
    assert run["outcome"] == "failed" and "WeekError" in run["error"]


def test_run_job_keeps_the_service_going_unless_asked_to_reraise(watch: Watch, monkeypatch: pytest.MonkeyPatch) -> None:
    config = load(watch, monkeypatch)
    result = run_job(config, "newsletter", week="not a week")
    assert result.outcome == "failed" and not result.ok
    with pytest.raises(WatchError):
        run_job(config, "newsletter", reraise=True, week="not a week")
    with open_db(watch.db_path) as db:
        assert [r["outcome"] for r in runs.finished_runs(db, "newsletter")] == ["failed", "failed"]
    with pytest.raises(ValueError, match="unknown job"):
        run_job(config, "nothing")
