"""« Mes marchés » shows the upcoming-purchase stage: an announced purchase with its expected day and what to
prepare, and a call announced before it came out.

The APProch records are built for the test from the documented open-data columns; one announces the real BOAMP
call 26-7308 of the test site (its buyer's SIREN and CPV), the other a purchase not published yet.
"""

from __future__ import annotations

from html import unescape

from starlette.testclient import TestClient
from websupport import NOW, Site, site_fixture  # noqa: F401 - the fixture

from archive import upcoming
from archive.db import open_db
from archive.procedures import rebuild
from archive.store import Archive
from classify.archive_run import classify_archive
from classify.engine import Classifier
from notices.approch import parse_record
from notices.checks import check

ANNOUNCEMENTS = [
    {
        "code": "90001",
        "libelle": "Prestations de traiteur pour l'URSSAF Normandie",
        "siren_de_l_entite_acheteuse": 902097997,
        "nom_de_l_entite_acheteuse": "URSSAF Normandie",
        "code_s_cpv": "55520000",
        "date_previsionnelle_de_publication": "2026-01-15",
        "departement_s_d_execution_du_marche": "76",
    },
    {
        "code": "90002",
        "libelle": "Restauration collective : repas des crèches municipales",
        "siren_de_l_entite_acheteuse": 217605401,
        "nom_de_l_entite_acheteuse": "Ville de Rouen",
        "code_s_cpv": "55523100",
        "montant_estime_du_marche": "100k - 500k€",
        "date_previsionnelle_de_publication": "2026-03-16",
        "departement_s_d_execution_du_marche": "76",
    },
]


def test_mes_marches_shows_the_upcoming_stage(site: Site) -> None:
    db = open_db(site.tmp / "w.db")
    Archive(db).upsert_notices([check(parse_record(r)) for r in ANNOUNCEMENTS])
    rebuild(db, now=NOW)
    upcoming.link(db)
    classify_archive(db, Classifier())
    db.close()
    sub_id = site.subscribe(notice_kinds=["open", "upcoming"])
    page = unescape(TestClient(site.web.app).get(f"/m/{site.token('p', sub_id)}").text)
    assert "Restauration collective : repas des crèches municipales" in page
    assert "Publication prévue</dt><dd>lundi 16 mars 2026 (achat annoncé, pas encore publié)" in page
    assert (
        "100k - 500k€ (fourchette de l'acheteur)" in page and "À préparer :</strong> votre agrément sanitaire" in page
    )
    assert "Annoncé pour le jeudi 15 janvier 2026, publié le mercredi 21 janvier 2026" in page
    assert "Prestations de traiteur pour l'URSSAF Normandie" not in page  # its call is out: the call is shown
