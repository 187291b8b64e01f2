"""The demo runs in its own files under data/demo/, on the recorded fortnight of February 2024."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from alerts.subscribers import import_csv, load_all
from archive.private import open_private
from replay.boamp import api_shape, load_records
from replay.ted import load_corpus
from watch import cli, demo

ROOT = Path(__file__).resolve().parents[2]
RECORDED = ROOT / "data" / "recorded"
LIVE = {
    "WATCH_DB": "/srv/watch/watch.db",
    "WATCH_PRIVATE_DB": "/srv/watch/private/watch-private.db",
    "WATCH_KEY_FILE": "/srv/watch/private/secret.key",
    "WATCH_OUTBOX_DIR": "/srv/watch/private/outbox",
    "WATCH_LOG_FILE": "/srv/watch/watch.log",
    "WATCH_SMTP_URL": "smtps://watch@mail.example.org:465",
    "WATCH_OPERATORS": "ops@example.org",
    "WATCH_EDITORS": "press@example.org",
}


def test_the_demo_config_keeps_every_file_under_data_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    for var, value in LIVE.items():  # a shell prepared for the live deployment
        monkeypatch.setenv(var, value)
    config = cli.COMMANDS["demo"].config(ROOT / "config.yaml")  # what `run_watch.py demo` runs with
    demo_dir = ROOT / "data" / "demo"
    for dotted in (
        "archive.path",
        "private.path",
        "private.key_file",
        "alerts.outbox_dir",
        "newsletter.out_dir",
        "logging.file",
    ):
        assert config.resolve_path(dotted).is_relative_to(demo_dir), dotted
    assert config.resolve_path("alerts.outbox_dir").is_relative_to(demo_dir / "private")
    assert config["alerts.smtp_url"] == "" and config["alarms.operators"] == [] and config["newsletter.editors"] == []
    assert config["event.name"] == "Paris 2024"  # the rest is the user's configuration


def test_reset_removes_the_demo_dir_only(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    data = tmp_path / "data"
    (data / "demo" / "private").mkdir(parents=True)
    (data / "demo" / "watch.db").write_text("x")
    (data / "watch.db").write_text("live")
    assert demo.reset_demo(data / "demo") == 0
    assert not (data / "demo").exists() and (data / "watch.db").read_text() == "live"
    assert demo.reset_demo(data / "demo") == 0 and "nothing to remove" in capsys.readouterr().out


def test_the_recorded_fortnight_comes_first_with_its_alerts_the_morning_after() -> None:
    phases = demo.demo_phases()
    assert phases[0][1] == date(2024, 2, 18)  # the last day of the BOAMP fortnight
    first, last = demo.recorded_days()
    assert phases[0][0] == first and phases[-1][1] == last  # every recorded day is crawled
    assert all(b[0] == a[1] + timedelta(days=1) for a, b in zip(phases, phases[1:], strict=False))


def test_the_demo_replays_real_french_notices_only() -> None:
    records = load_records([RECORDED / "boamp"])
    assert len(records) == 1402 and {r["dateparution"][:7] for r in records} >= {"2024-02"}
    notices, xml = load_corpus([RECORDED / "ted"])
    assert len(notices) == len(xml) == 4
    text = " ".join(json.dumps(n, ensure_ascii=False) for n in notices)
    for synthetic in ("Procurement title", "ZenithNova", "pol", "deu", "dan"):
        assert synthetic not in text
    assert all(c == ["FRA"] for c in (n["buyer-country"] for n in notices))


def test_jsonl_records_get_the_api_shape_back() -> None:
    flat = {"idweb": "24-1", "code_departement": "['17']", "titulaire": "", "type_avis": "['', '10', '6']"}
    assert api_shape(flat) == {
        "idweb": "24-1",
        "code_departement": ["17"],
        "titulaire": None,
        "type_avis": ["", "10", "6"],
    }
    assert api_shape({"code_departement": ["17"], "objet": "[Lot 1] Voirie"}) == {
        "code_departement": ["17"],
        "objet": "[Lot 1] Voirie",
    }


def test_the_sample_subscribers_are_ess_structures_of_every_kind(tmp_path: Path) -> None:
    db = open_private(tmp_path / "s.db")
    text = (ROOT / "data" / "sample_subscribers.csv").read_text(encoding="utf-8")
    import_csv(db, text)
    subs = load_all(db)
    assert len(subs) == len(text.strip().splitlines()) - 1
    assert {s.kind for s in subs} >= {"EI", "ESAT", "cooperative", "association", "EA"}
    assert all(s.themes and "open" in s.notice_kinds for s in subs)
