"""The buyer directory: one buyer per SIREN whatever the spelling, its themes and social shares, and the
`buyers` command."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlite_utils
from explore_archive import AS_OF, ROOT, SIRET, build

from analysts.buyers import name_key, top_buyers
from analysts.tables import prepare
from archive.db import open_db
from archive.store import Archive
from notices.model import Buyer, Notice


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("buyers") / "watch.db"
    build(path).close()
    return path


def test_two_spellings_sharing_a_siret_are_one_buyer(archive: Path) -> None:
    db = sqlite_utils.Database(archive)
    (lyon,) = list(db.query("select * from buyers where siren = ?", [SIRET[:9]]))
    assert lyon["key"] == "siren-216901231" and lyon["departement"] == "69"
    names = json.loads(lyon["names"])
    assert {"VILLE DE LYON", "Ville de Lyon - Direction de la commande publique"} <= set(names)
    linked = {
        r["source_id"] for r in db.query("select source_id from buyer_notices where buyer_key = ?", [lyon["key"]])
    }
    assert {"test-siret-1", "test-siret-2", "test-siret-3"} <= linked
    assert not list(db.query("select key from buyers where key like 'nom-ville-de-lyon%'"))  # no second record
    assert lyon["reserved_contracts"] >= 1 and lyon["insertion_clauses"] >= 1 and lyon["awards"] >= 1
    assert lyon["reserved_share"] == round(100 * lyon["reserved_contracts"] / lyon["notices"], 1)
    assert "restauration_solidaire" in json.loads(lyon["themes"])
    upcoming = json.loads(lyon["upcoming"])
    notices = [u["notice"] for u in upcoming]
    assert "boamp:test-siret-2" in notices and "boamp:test-siret-1" not in notices  # that one is awarded
    assert [u["deadline"] for u in upcoming] == sorted(u["deadline"] for u in upcoming)
    assert json.loads(lyon["latest_needs"])[0]["published"] >= "2024-02-12"
    years = list(
        db.query("select * from buyer_themes where buyer_key = ? and theme = 'restauration_solidaire'", [lyon["key"]])
    )
    assert years and years[0]["year"] == "2024"


def test_a_name_seen_with_two_sirens_stays_apart(tmp_path: Path) -> None:
    db = open_db(tmp_path / "a.db")
    day = date(2024, 2, 1)
    Archive(db).upsert_notices(
        [
            Notice(
                source="boamp", source_id=str(i), title="Travaux", published=day, buyer=Buyer(name=name, siret=siret)
            )
            for i, (name, siret) in enumerate(
                [("Mairie", "11111111100011"), ("MAIRIE", "22222222200022"), ("Mairie", None), ("Commune X", None)]
            )
        ]
    )
    prepare(db, now=datetime(2024, 2, 2, tzinfo=UTC))
    keys = sorted(r["key"] for r in db.query("select key from buyers"))
    assert keys == ["nom-commune-x", "nom-mairie", "siren-111111111", "siren-222222222"]
    assert name_key("Ville de Saint-Étienne, représentée par son maire") == "ville-de-saint-etienne"


def test_top_buyers_by_theme(archive: Path) -> None:
    db = sqlite_utils.Database(archive)
    catering = top_buyers(db, top=50, theme="restauration_solidaire")
    assert catering and all(b["theme_notices"] >= 1 for b in catering)
    assert [b["theme_notices"] for b in catering] == sorted((b["theme_notices"] for b in catering), reverse=True)
    assert "siren-216901231" in [b["key"] for b in catering]


def test_the_buyers_command(archive: Path, tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "WATCH_DB": str(archive), "WATCH_LOG_FILE": ""}
    run = [sys.executable, str(ROOT / "run_watch.py"), "buyers"]
    out = subprocess.run([*run, "--top", "500"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    line = next(line for line in out.stdout.splitlines() if "SIREN 216901231" in line)
    assert "restauration_solidaire" in line and "réservés" in line and "clauses d'insertion" in line
    assert "graphies" in line
    themed = subprocess.run(
        [*run, "--theme", "restauration_solidaire", "--json", "--top", "3"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    buyers = json.loads(themed.stdout)
    assert len(buyers) == 3 and all(b["themes_count"].get("restauration_solidaire") for b in buyers)
    bad = subprocess.run([*run, "--theme", "nope"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "unknown theme" in bad.stderr
    assert AS_OF.year == 2024
