"""Exports: CSV and XLSX reopen with the same rows and French headers; the OCDS release package validates
offline with libcoveocds (OCDS 1.1.5 and the extensions, served on loopback) and carries a reserved, an
awarded and a cancelled procedure as the eForms profile of OCDS says."""

from __future__ import annotations

import csv
import functools
import json
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
from explore_archive import OCDS_FIXTURES, build

from analysts.exports import EXTENSIONS, HEADERS, export, export_rows, release_package

PREFIX = "ocds-xxxxxx-ess"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> sqlite_utils.Database:
    return build(tmp_path_factory.mktemp("exports") / "watch.db")


@pytest.fixture(scope="module")
def extensions_url() -> Iterator[str]:
    """The extensions' files served on loopback: libcoveocds reads an extension over http(s) only."""
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(OCDS_FIXTURES / "extensions"))
    handler.log_message = lambda *args: None  # type: ignore[method-assign]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_csv_reopens_with_the_same_rows(db: sqlite_utils.Database, tmp_path: Path) -> None:
    out = tmp_path / "avis.csv"
    count = export(db, "csv", out, prefix=PREFIX, since="2024-02-12", theme="restauration_solidaire")
    rows = export_rows(db, since="2024-02-12", theme="restauration_solidaire")
    with out.open(encoding="utf-8-sig", newline="") as f:
        read = list(csv.reader(f, delimiter=";"))
    assert read[0] == HEADERS and "Objet" in HEADERS and "Valeur (€)" in HEADERS
    assert count == len(rows) == len(read) - 1 > 0
    assert [r[1] for r in read[1:]] == [r["source_id"] for r in rows]
    assert all("restauration_solidaire" in r[HEADERS.index("Thèmes (codes)")] for r in read[1:])
    assert all(r[2] >= "2024-02-12" for r in read[1:])


def test_xlsx_reopens_with_the_same_rows(db: sqlite_utils.Database, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    out = tmp_path / "avis.xlsx"
    count = export(db, "xlsx", out, prefix=PREFIX)
    sheet = load_workbook(out, read_only=True)["Avis"]
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == HEADERS
    rows = export_rows(db)
    assert count == len(rows) == len(values) - 1
    assert [v[1] for v in values[1:]] == [r["source_id"] for r in rows]
    assert [v[5] for v in values[1:]] == [r["title"] for r in rows]


def _validate(package: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    from libcoveocds.api import ocds_json_output
    from libcoveocds.config import LibCoveOCDSConfig

    config = LibCoveOCDSConfig()
    config.config["context"] = "api"
    config.config["standard_zip"] = (OCDS_FIXTURES / "standard-1__1__5.zip").resolve().as_uri()  # never downloaded
    return ocds_json_output(str(tmp_path), json_data=package, lib_cove_ocds_config=config, schema_version="1.1")


@pytest.fixture(scope="module")
def package(db: sqlite_utils.Database, extensions_url: str) -> dict[str, Any]:
    urls = [f"{extensions_url}/{name}/extension.json" for name in EXTENSIONS]
    return release_package(db, prefix=PREFIX, extension_urls=urls)


def test_the_ocds_package_validates_offline(package: dict[str, Any], tmp_path: Path) -> None:
    result = _validate(package, tmp_path)
    assert "json_deref_error" not in result, result.get("json_deref_error")
    assert result["validation_errors"] == []
    assert result["additional_fields"] == []  # every field is in the schema or a declared extension
    assert result["additional_closed_codelist_values"] == {}
    assert result["extensions"]["invalid_extensions"] == []
    assert result["count"] == len(package["releases"]) > 1400


def test_the_validation_would_see_a_wrong_value(package: dict[str, Any], tmp_path: Path) -> None:
    broken = json.loads(json.dumps(package))
    broken["releases"] = broken["releases"][:3]
    broken["releases"][0]["tender"]["otherRequirements"] = {"reservedParticipation": "shelteredWorkshop"}
    assert _validate(broken, tmp_path)["validation_errors"]


def _by_id(package: dict[str, Any], notice_id: str) -> dict[str, Any]:
    return next(r for r in package["releases"] if r["id"] == notice_id)


def test_a_reserved_procedure(package: dict[str, Any]) -> None:
    ted = _by_id(package, "ted-cn-24-maximal")
    assert ted["ocid"].startswith(PREFIX + "-") and ted["tag"] == ["tender"]
    assert "publicServiceMissionOrganization" in ted["tender"]["otherRequirements"]["reservedParticipation"]  # BT-71
    assert ted["tender"]["contractTerms"] == {"reservedExecution": True}  # BT-736
    assert {"goal": "social", "strategies": ["awardCriteria"]} in ted["tender"]["sustainability"]
    assert ted["tender"]["lots"] and ted["tender"]["items"][0]["classification"]["scheme"] == "CPV"
    lyon = _by_id(package, "boamp-test-siret-1")
    assert lyon["tender"]["otherRequirements"]["reservedParticipation"] == ["shelteredWorkshop"]
    assert lyon["tender"]["sustainability"][0]["goal"] == "social.disadvantagedEmploymentOpportunities"
    assert lyon["parties"][0]["identifier"] == {
        "scheme": "FR-SIRET",
        "id": "21690123100011",
        "legalName": "VILLE DE LYON",
    }


def test_an_awarded_and_a_cancelled_procedure(package: dict[str, Any], db: sqlite_utils.Database) -> None:
    awarded = next(r for r in package["releases"] if r.get("awards") and r["tag"] == ["award"])
    assert awarded["tender"]["status"] == "complete"
    supplier = awarded["awards"][0]["suppliers"][0]
    assert {"supplier"} <= set(next(p for p in awarded["parties"] if p["id"] == supplier["id"])["roles"])
    cancelled_id = db.execute("select id from procedures where state = 'cancelled' limit 1").fetchone()[0]
    ocid = PREFIX + "-" + cancelled_id.replace(":", "-")
    releases = [r for r in package["releases"] if r["ocid"] == ocid]
    assert releases and releases[-1]["tender"]["status"] == "cancelled"
    assert any(r["tag"] == ["tenderCancellation"] for r in package["releases"])
    # the notices of one procedure share its ocid: the call and its award
    call, award = _by_id(package, "boamp-test-siret-1"), _by_id(package, "boamp-test-siret-3")
    assert call["ocid"] == award["ocid"] and award["tag"] == ["award"]
    assert award["awards"][0]["value"] == {"amount": 120000.0, "currency": "EUR"}
    winner = next(p for p in award["parties"] if p["id"] == award["awards"][0]["suppliers"][0]["id"])
    assert winner["identifier"]["id"] == "77568501900027" and winner["roles"] == ["supplier"]
