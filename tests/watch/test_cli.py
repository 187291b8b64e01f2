"""`run_watch.py` commands as an operator types them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import BOAMP_FIXTURES, Watch, all_boamp_records, serve_boamp

from replay.server import ReplayServer
from watch import cli

ROOT_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture
def inspect(watch: Watch, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture):
    """`run_watch.py inspect ...` in this process (the same `cli.main`): (exit code, stdout, stderr)."""
    monkeypatch.setattr(cli.logs, "setup", lambda *a, **k: None)  # no handler left on pytest's streams

    def run(*args: str) -> tuple[int, str, str]:
        code = cli.main(["--config", watch.env["WATCH_CONFIG"], "inspect", *args])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


# What each notice states, read by hand from the recorded records: title start, buyer, kind, status,
# deadline instant (UTC), CPV, lot count, départements.
EXPECTED = {
    "26-85090": (
        "Prestations de transport",
        "Communauté de communes LE GRESIVAUDAN",
        "contract_notice",
        "initial",
        "2026-10-02T10:00:00+00:00",
        ["60112000"],
        2,
        ["38"],
    ),
    "26-7308": (
        "Prestations traiteurs",
        "URSSAF NORMANDIE",
        "contract_notice",
        "initial",
        "2026-02-27T11:00:00+00:00",
        ["55520000"],
        7,
        ["76", "14", "27", "50", "61"],
    ),
    "24-76932": (
        "MISSION DE MAITRISE D'OEUVRE",
        "Communauté de Communes Pays d'Orange en Provence (84)",
        "contract_notice",
        "initial",
        "2024-07-25T10:00:00+00:00",
        [],
        0,
        ["84"],
    ),
    "15-31501": (
        "Concession d'aménagement",
        "Cté Cnes Moyenne Vilaine et Semnon",
        "contract_notice",
        "initial",
        "2015-04-20T11:00:00+00:00",
        ["45111291", "71000000", "70122100", "70122200"],
        0,
        ["35"],
    ),
    "BWP06181100013U": (
        "restructuration des locaux du collège Volney",
        None,
        "contract_notice",
        "initial",
        "2006-09-13T10:00:00+00:00",
        ["45454000"],
        18,
        ["53"],
    ),
    "25-127510": (
        "Marché de prestation de géomètre",
        "COMMUNE DE SOISY-SOUS-MONTMORENCY",
        "contract_notice",
        "cancellation",
        "2025-12-15T11:00:00+00:00",
        ["71351810"],
        1,
        ["95"],
    ),
    "26-80978": (
        "Prestation de transport de personnes",
        "Ville de Saint Orens de Gameville",
        "award",
        "initial",
        None,
        ["60170000", "60172000"],
        2,
        ["31"],
    ),
}


def utc(value: str | None) -> str | None:
    return datetime.fromisoformat(value).astimezone(UTC).isoformat() if value else None


def test_inspect_each_recorded_file(inspect) -> None:
    files = sorted(BOAMP_FIXTURES.glob("*.json"))
    code, out, err = inspect(*map(str, files))
    assert code == 0, err
    notices = {n["source_id"]: n for n in json.loads(out)}
    assert len(notices) == len(all_boamp_records())
    assert all("raw" not in n for n in notices.values())
    for idweb, (title, buyer, kind, status, deadline, cpv, lots, depts) in EXPECTED.items():
        n = notices[idweb]
        assert n["title"].startswith(title), idweb
        if buyer:
            assert n["buyer"]["name"] == buyer, idweb
        assert (n["kind"], n["status"]) == (kind, status), idweb
        assert utc(n["deadline"]) == deadline, idweb
        assert n["cpv"] == cpv and len(n["lots"]) == lots and n["departements"] == depts, idweb


def test_inspect_raw_and_bad_file(inspect, watch: Watch, tmp_path) -> None:
    code, out, _ = inspect("--raw", str(BOAMP_FIXTURES / "mapa_2024_contract_notice.json"))
    assert json.loads(json.loads(out)[0]["raw"])["idweb"] == "24-76932"
    bad = tmp_path / "bad.json"
    bad.write_text('{"total_count": 1, "results": [', encoding="utf-8")
    proc = watch.run("inspect", str(bad))  # as typed: one line on stderr, exit 2
    assert proc.returncode == 2 and "bad.json: not JSON" in proc.stderr


def test_inspect_eforms_xml_and_ted_search_responses(inspect) -> None:
    ted = BOAMP_FIXTURES.parent / "ted"
    code, out, err = inspect(str(ted / "pin-cfc-social_24.xml"), str(ted / "cn_24_maximal.xml"))
    assert code == 0, err
    pin, cn = json.loads(out)
    assert pin["source_id"] == "b9bcefc5-2065-4884-a723-c9d39c5c640f"
    assert {"signal": "reserved_procurement", "value": "res-ws", "where": "lot EBA BT-71"} in pin["social"]
    assert {s["value"] for s in cn["social"] if s["signal"] in ("reserved_procurement", "reserved_execution")} == {
        "res-pub-ser",
        "yes",
    }
    assert cn["buyer"]["name"] == "Financial Adinistration for ..."
    _, out, _ = inspect(str(ted / "mattahr_ha-edp-radar__real_notices.EXCERPT.json"))
    assert [n["source_id"] for n in json.loads(out)][:2] == ["626028-2026", "626146-2026"]


def test_stats_after_a_crawl(replay: ReplayServer, watch: Watch) -> None:
    serve_boamp(replay, watch, all_boamp_records())
    assert watch.run("crawl", "boamp", "--from", "2006-01-01", "--until", "2026-09-30").returncode == 0
    proc = watch.run("stats")
    assert proc.returncode == 0
    assert "notices: 27" in proc.stdout and "boamp" in proc.stdout and "quarantine: 0" in proc.stdout
    stats = json.loads(watch.run("stats", "--json").stdout)
    assert stats["by_source"] == {"boamp": 27}
    assert {"published": "2026-09-03", "source": "boamp", "count": 1} in stats["by_day"]


@pytest.mark.parametrize(
    "command",
    [
        "crawl",
        "once",
        "link",
        "serve",
        "status",
        "check-config",
        "backup",
        "prune",
        "replay",
        "inspect",
        "stats",
        "demo",
    ],
)
def test_every_command_has_help(command: str, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as done:  # argparse prints the help and exits 0
        cli.main([command, "--help"])
    assert done.value.code == 0 and "--config" in capsys.readouterr().out


def test_the_script_prints_its_help(watch: Watch) -> None:
    proc = watch.run("--help")  # the real entry point, once
    assert proc.returncode == 0 and "check-config" in proc.stdout


def test_config_error_names_the_key(watch: Watch) -> None:
    watch.write_config("sources:\n  boamp:\n    page_size: 1000\n")
    proc = watch.run("stats")
    assert proc.returncode == 2 and "sources.boamp.page_size" in proc.stderr


def test_inspect_reads_json_lines_of_records(inspect, tmp_path) -> None:
    lines = tmp_path / "records.jsonl"
    first = (ROOT_DIR / "data" / "recorded" / "boamp" / "flat_records_2024-02.jsonl").read_text(encoding="utf-8")
    lines.write_text("\n".join(first.splitlines()[:3]) + "\n", encoding="utf-8")
    code, out, err = inspect("--no-classify", str(lines))
    assert code == 0, err
    notices = json.loads(out)
    assert len(notices) == 3 and notices[0]["source_id"] == "24-16169"
    assert notices[0]["departements"] == ["17"] and notices[0]["kind"] == "award"
    assert (
        notices[1]["deadline"] == "2024-03-04T12:00:00+01:00" and notices[1]["descriptors"][0]["label"] == "Ingénierie"
    )
