"""The analysts' archive the explore tests read: the demo's recorded BOAMP fortnight (1,400 real records), one
real eForms notice (reserved participation BT-71, reserved execution BT-736) and one buyer under two spellings
sharing a SIRET; procedures rebuilt, classified, prepared for analysts as on 19 February 2024."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import sqlite_utils

from analysts.tables import prepare
from archive.db import open_db
from archive.procedures import rebuild
from archive.store import Archive
from classify.archive_run import classify_archive
from classify.engine import Classifier
from notices import eforms
from notices.boamp import parse_record
from notices.eforms_xml import tree_from_xml
from notices.model import Award, Buyer, Notice

ROOT = Path(__file__).resolve().parents[2]
RECORDS = ROOT / "data" / "recorded" / "boamp" / "flat_records_2024-02.jsonl"
EFORMS = ROOT / "tests" / "fixtures" / "ted" / "cn_24_maximal.xml"
OCDS_FIXTURES = ROOT / "tests" / "fixtures" / "ocds"
AS_OF = datetime(2024, 2, 19, 7, tzinfo=UTC)
SIRET = "21690123100011"


def _eforms_notice() -> Notice:
    data = EFORMS.read_bytes()
    notice = eforms.fill(Notice(source="ted", source_id="cn-24-maximal"), tree_from_xml(data))
    notice.raw = data.decode("utf-8")
    return notice


def twin_spellings() -> list[Notice]:
    """One buyer, two spellings, one SIRET: a reserved call with an insertion clause and its award, another call."""
    common = {"kind": "contract_notice", "departements": ["69"], "published": date(2024, 2, 12)}
    return [
        Notice(
            source="boamp",
            source_id="test-siret-1",
            title="Repas livrés pour le restaurant scolaire, marché réservé aux ESAT",
            notes="Clause d'insertion sociale : 5 % des heures travaillées réservées à des personnes éloignées de "
            "l'emploi (zorglubienne)",
            buyer=Buyer(name="VILLE DE LYON", siret=SIRET, city="LYON", postal_code="69001"),
            deadline=datetime(2024, 3, 20, 12, tzinfo=UTC),
            procedure_id="LYON-2024-REPAS",
            **common,
        ),
        Notice(
            source="boamp",
            source_id="test-siret-3",
            title="Repas livrés pour le restaurant scolaire, marché réservé aux ESAT",
            buyer=Buyer(name="VILLE DE LYON", siret=SIRET),
            kind="award",
            procedure_id="LYON-2024-REPAS",
            published=date(2024, 2, 16),
            departements=["69"],
            awards=[
                Award(winner="ESAT Les Ateliers du Rhône", siret="77568501900027", amount=120000.0, currency="EUR")
            ],
        ),
        Notice(
            source="boamp",
            source_id="test-siret-2",
            title="Nettoyage des locaux municipaux",
            buyer=Buyer(name="Ville de Lyon - Direction de la commande publique", siret=SIRET),
            deadline=datetime(2024, 3, 25, 12, tzinfo=UTC),
            **common,
        ),
    ]


def build(path: Path) -> sqlite_utils.Database:
    records = [json.loads(line) for line in RECORDS.read_text(encoding="utf-8").splitlines() if line.strip()]
    archive = Archive(open_db(path))
    archive.upsert_notices([parse_record(r) for r in records] + [_eforms_notice(), *twin_spellings()])
    rebuild(archive.db)
    classify_archive(archive.db, Classifier())
    prepare(archive.db, now=AS_OF)
    return archive.db
