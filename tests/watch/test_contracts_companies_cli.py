"""`run_watch.py contracts ...` and `companies ...` as an operator types them (in process), and their jobs:
bad files named in one line, the rest loaded, re-runs without duplicates."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import pytest
import sqlite_utils
from conftest import FIXTURES

from settings import config as watch_config
from watch import cli
from watch.jobs import check_schedule, run_job

DECP = FIXTURES / "decp"
COMPANIES = FIXTURES / "companies"


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture):
    """(exit code, the log's error lines) of one command, on an archive in tmp_path."""
    for name in [k for k in os.environ if k.startswith("WATCH_")]:
        monkeypatch.delenv(name)
    monkeypatch.setattr(cli.logs, "setup", lambda *a, **k: None)
    config = tmp_path / "config.yaml"
    config.write_text("archive:\n  path: watch.db\n", encoding="utf-8")

    def go(*args: str) -> tuple[int, list[str]]:
        caplog.clear()
        with caplog.at_level(logging.INFO):
            code = cli.main([args[0], "--config", str(config), *args[1:]])
        return code, [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]

    return go


def db(tmp_path: Path) -> sqlite_utils.Database:
    return sqlite_utils.Database(tmp_path / "watch.db")


def test_contracts_load_keeps_impossible_values_aside_and_a_cut_file_partly(run, tmp_path: Path) -> None:
    rows = (DECP / "decp_v3_2024_9rows_decp-processing.csv").read_text(encoding="utf-8-sig").splitlines()
    (tmp_path / "bad.csv").write_text("\n".join([rows[0], rows[1].replace(";45155.0;", ";1e15;")]) + "\n")
    body = (DECP / "decp_test_2022.json").read_bytes()
    (tmp_path / "cut.json").write_bytes(body[: body.index(b'"id": "202401L04"')])
    code, errors = run("contracts", "load", str(tmp_path / "bad.csv"), str(tmp_path / "cut.json"))
    assert code == 1
    assert any(f"{tmp_path / 'cut.json'}: record 3 is not valid JSON" in e for e in errors)
    archive = db(tmp_path)
    assert archive.execute("select count(*) from contracts").fetchone()[0] == 1 + 2
    amount, warnings = archive.execute("select amount, warnings from contracts where id = '202404'").fetchone()
    assert amount is None and "1e+15 is outside" in warnings
    code, _ = run("contracts", "load", str(DECP / "decp_test_2022.json"), str(tmp_path / "bad.csv"))
    assert code == 0
    code, _ = run("contracts", "load", str(DECP / "decp_test_2022.json"), str(tmp_path / "bad.csv"))
    assert archive.execute("select count(*) from contracts").fetchone()[0] == 6
    assert archive.execute("select count(*) from contract_winners").fetchone()[0] == 12
    assert archive.execute("select count(*) from contract_modifications").fetchone()[0] == 12
    assert archive.execute("select count(*) from contracts_classified").fetchone()[0] == 6
    last = archive.execute("select outcome, fetched, new, unchanged from runs where job = 'contracts' order by id desc")
    assert last.fetchone() == ("ok", 6, 0, 6)


def test_companies_load_names_a_missing_and_a_corrupt_file_and_loads_the_others(run, tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text('[{"model": "siaes.siae", "fields": {"siret": "8074')
    (tmp_path / "other.csv").write_text("a,b\n1,2\n")
    files = [str(COMPANIES / "lmi_siaes_fixture_subset.json"), str(tmp_path / "missing.csv")]
    files += [str(tmp_path / "broken.json"), str(tmp_path / "other.csv")]
    code, errors = run("companies", "load", *files)
    assert code == 1
    line = next(e for e in errors if e.startswith("job companies"))
    assert f"{tmp_path / 'missing.csv'}: no such file" in line
    assert f"{tmp_path / 'broken.json'}: not valid JSON" in line
    assert f"{tmp_path / 'other.csv'}: not a known register file" in line
    assert db(tmp_path).execute("select count(*) from companies").fetchone()[0] == 265


def test_the_companies_job_reloads_the_configured_files_and_a_rerun_changes_nothing(tmp_path: Path) -> None:
    shutil.copy(COMPANIES / "sirene_ul_ess_O_numerique_2026.csv", tmp_path / "ess.csv")
    shutil.copy(COMPANIES / "lmi_siaes_fixture_subset.json", tmp_path / "siae.json")
    (tmp_path / "esat.csv").write_text("siren;kind\n100029172;ESAT\n")  # an ESS unit that is also an ESAT
    (tmp_path / "config.yaml").write_text(
        "archive:\n  path: watch.db\ncompanies:\n  files: [ess:ess.csv, siae.json, list:esat.csv]\n"
        "schedule:\n  jobs:\n    companies: '0 6 2 * *'\n    contracts: '0 7 * * mon'\n",
        encoding="utf-8",
    )
    config = watch_config.load(tmp_path / "config.yaml", env={})
    check_schedule(config)  # the two new jobs are known to the scheduler
    from watch.jobs import scheduled_jobs

    assert {("companies", "0 6 2 * *"), ("contracts", "0 7 * * mon")} <= set(scheduled_jobs(config))
    first = run_job(config, "companies")
    assert first.outcome == "ok" and first.counts["companies"] == 3375 + 265 + 1
    again = run_job(config, "companies")
    assert again.outcome == "ok"
    archive = db(tmp_path)
    assert archive.execute("select count(*) from companies").fetchone()[0] == 3375 + 265
    merged = archive.execute("select ess, inclusive_kind, sources from companies where siren = '100029172'").fetchone()
    assert merged == (1, "ESAT", '["esat.csv", "ess.csv"]')


def test_a_bad_decp_url_is_a_configuration_error_naming_the_key(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("sources:\n  decp:\n    url: [ftp://x/decp.json]\n", encoding="utf-8")
    with pytest.raises(watch_config.ConfigError, match=r"sources\.decp\.url: expected an http\(s\) URL"):
        watch_config.load(tmp_path / "config.yaml", env={})
    (tmp_path / "empty.yaml").write_text("", encoding="utf-8")
    config = watch_config.load(
        tmp_path / "empty.yaml", env={"WATCH_DECP_URL": "https://a.test/1.json,https://a.test/2.csv"}
    )
    assert config["sources.decp.url"] == ["https://a.test/1.json", "https://a.test/2.csv"]


def test_prune_drops_old_raw_contracts_and_keeps_the_contracts(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from watch.files import load_contract_files
    from watch.maintenance import prune

    archive = sqlite_utils.Database(tmp_path / "p.db")
    from archive.db import migrate

    migrate(archive)
    load_contract_files(archive, [DECP / "decp_test_2019.json"])
    archive.close()
    assert prune(tmp_path / "p.db", 10, now=datetime.now(UTC) + timedelta(days=11)) == 2
    assert sqlite_utils.Database(tmp_path / "p.db").execute("select count(*) from contracts").fetchone()[0] == 2


def test_inspect_prints_the_normalized_contracts_of_a_decp_file() -> None:
    from watch.inspect import inspect_file

    contracts = inspect_file(DECP / "decp_test_2022.json")
    assert [c["id"] for c in contracts][:2] == ["2022VI2022.242", "2020F00075"]
    assert contracts[0]["winners"][1] == {"id": "99999999999", "id_type": "TVA", "name": None}
    assert "raw" not in contracts[0] and inspect_file(DECP / "decp_test_2019.json", raw=True)[0]["raw"]
