"""The buyers' horizon (analysts.horizon): upcoming purchases by buyer, theme and expected date, in the buyer
directory and through `run_watch.py upcoming`.

The records: the APProch open-data record built from the real token-API example ("MAINTENANCE SSI", Ville de
Paris, expected 19 October 2023), the real TED PIN used as a call for competition 219998-2024 (CAP Excellence,
interest until 13 May 2024), and a constructed APProch project whose call is already out (linked).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from conftest import FIXTURES, Watch, record

from analysts.horizon import horizon, months_after, render_horizon
from analysts.tables import prepare
from archive import upcoming
from archive.db import open_db
from archive.procedures import rebuild
from archive.store import Archive
from classify.archive_run import classify_archive
from classify.engine import Classifier
from notices import eforms
from notices.approch import parse_record as parse_approch
from notices.boamp import parse_record as parse_boamp
from notices.checks import check
from notices.eforms_xml import tree_from_xml
from notices.model import Notice

LABELS = {"surete_equipements": "Sûreté des équipements", "restauration_solidaire": "Restauration solidaire"}


def build(path: Path) -> None:
    (ssi,) = json.loads((FIXTURES / "approch" / "projets-dachats-publics.json").read_text(encoding="utf-8"))
    pin_xml = (FIXTURES / "upcoming" / "2024-OJS074-00219998.xml").read_bytes()
    linked = {
        "code": "90001",
        "libelle": "Prestations de traiteur pour l'URSSAF Normandie",
        "siren_de_l_entite_acheteuse": 902097997,
        "code_s_cpv": "55520000",
        "date_previsionnelle_de_publication": "2026-01-15",
    }
    db = open_db(path)
    Archive(db).upsert_notices(
        [
            check(parse_approch(ssi)),
            check(eforms.fill(Notice("ted", "219998-2024"), tree_from_xml(pin_xml))),
            check(parse_approch(linked)),
            check(parse_boamp(record("26-7308"))),
        ]
    )
    rebuild(db, now=datetime(2026, 2, 1, tzinfo=UTC))
    upcoming.link(db)
    classify_archive(db, Classifier())
    db.close()


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    build(tmp_path / "watch.db")
    return tmp_path / "watch.db"


def test_the_horizon_by_expected_date_theme_and_place(archive: Path) -> None:
    db = open_db(archive)
    (ssi,) = horizon(db, start=date(2023, 9, 1), months=6)
    assert (ssi.notice, ssi.expected, ssi.siren, ssi.value_band) == (
        "approch:13929",
        "2023-10-19",
        "217500016",
        "100k - 500k€",
    )
    assert ssi.themes == ["surete_equipements"] and ssi.departements == ["29"]
    assert horizon(db, start=date(2023, 11, 1), months=6) == []  # expected before the start: gone
    (pin,) = horizon(db, start=date(2024, 4, 16), months=6)  # no expected day: its interest deadline is ahead
    assert pin.notice == "ted:219998-2024" and pin.interest_deadline.startswith("2024-05-13")
    assert pin.departements == ["971"]  # no place stated: the buyer's département
    assert horizon(db, start=date(2023, 9, 1), theme="restauration_solidaire") == []
    assert horizon(db, start=date(2023, 9, 1), departement="75") == []
    # the URSSAF project is on the horizon until its call is out (21 January 2026)
    assert [u.notice for u in horizon(db, start=date(2026, 1, 1), months=6)] == ["approch:90001"]
    assert horizon(db, start=date(2026, 1, 22), months=6) == []
    text = render_horizon(horizon(db, start=date(2023, 9, 1)), LABELS, start=date(2023, 9, 1), months=6)
    assert (
        text.splitlines()[0] == "Achats à venir du vendredi 1er septembre 2023 au vendredi 1er mars 2024 : 1 achat "
        "de 1 acheteur"
    )
    assert "Ville de Paris (SIREN 217500016)" in text
    assert "Sûreté des équipements · publication prévue le jeudi 19 octobre 2023 · MAINTENANCE SSI" in text


def test_months_after() -> None:
    assert months_after(date(2026, 8, 31), 6) == date(2027, 2, 28) and months_after(date(2026, 1, 15), 12) == date(
        2027, 1, 15
    )


def test_the_buyer_directory_carries_each_buyers_horizon(archive: Path) -> None:
    db = open_db(archive)
    prepare(db, now=datetime(2023, 9, 1, tzinfo=UTC))
    row = db.execute("select horizon from buyers where siren = '217500016'").fetchone()
    (item,) = json.loads(row[0])
    assert item["notice"] == "approch:13929" and item["expected"] == "2023-10-19"
    assert item["themes"] == ["surete_equipements"]


def test_the_upcoming_command(archive: Path, watch: Watch) -> None:
    watch.env["WATCH_DB"] = str(archive)
    proc = watch.run("upcoming", "--from", "2023-09-01", "--months", "3")
    assert proc.returncode == 0, proc.stderr
    assert "MAINTENANCE SSI" in proc.stdout and "Sûreté des équipements" in proc.stdout
    proc = watch.run("upcoming", "--from", "2024-04-16", "--departement", "971", "--json")
    assert [u["notice"] for u in json.loads(proc.stdout)] == ["ted:219998-2024"]
    proc = watch.run("upcoming", "--months", "99")
    assert proc.returncode == 2 and "give 1 to 60" in proc.stderr
