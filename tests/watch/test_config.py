from __future__ import annotations

from pathlib import Path

import pytest

from settings import ConfigError, load


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_and_env_overrides(tmp_path: Path) -> None:
    cfg = load(write(tmp_path, "archive:\n  path: data/x.db\n"), env={"WATCH_BOAMP_URL": "http://127.0.0.1:1/b"})
    assert cfg["archive.path"] == "data/x.db"
    assert cfg["sources.boamp.url"] == "http://127.0.0.1:1/b"
    assert cfg["schedule.timezone"] == "Europe/Paris"
    assert load(write(tmp_path, ""), env={"WATCH_DB": "/tmp/w.db"})["archive.path"] == "/tmp/w.db"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sources:\n  boamp:\n    urll: x\n", r"sources\.boamp\.urll: unknown key"),
        ("sources:\n  boamp:\n    url: ftp://x\n", r"sources\.boamp\.url: expected an http\(s\) URL"),
        ("sources:\n  boamp:\n    page_size: 500\n", r"sources\.boamp\.page_size: expected 1\.\.100"),
        ("crawl:\n  retry_times: many\n", r"crawl\.retry_times: expected int, got str"),
        ("schedule:\n  cron: '0 8 * * 1'\n", r"schedule\.cron: use weekday names"),
        ("schedule:\n  cron: 'every day'\n", r"schedule\.cron: not a valid crontab"),
        ("schedule:\n  timezone: Mars/Olympus\n", r"schedule\.timezone: unknown time zone"),
        ("archive: [1, 2]\n", r"archive: expected a mapping"),
        ("archive:\n  path: [\n", r"not valid YAML \(line"),
    ],
)
def test_errors_name_the_file_and_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as err:
        load(write(tmp_path, text), env={})
    assert str(tmp_path / "config.yaml") in str(err.value)


def test_missing_explicit_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such configuration file"):
        load(tmp_path / "nope.yaml", env={})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("schedule:\n  jobs:\n    nightly: '0 3 * * mon'\n", r"schedule\.jobs\.nightly: unknown job"),
        ("schedule:\n  cron: '99 * * * mon'\n", r"schedule\.cron: not a valid crontab"),
        ("newsletter:\n  cron: '0 7 32 * mon'\n", r"newsletter\.cron: not a valid crontab"),
    ],
)
def test_the_scheduler_checks_job_names_and_crons_with_the_key(tmp_path: Path, text: str, message: str) -> None:
    from watch.jobs import check_schedule

    with pytest.raises(ConfigError, match=message):
        check_schedule(load(write(tmp_path, text), env={}))
