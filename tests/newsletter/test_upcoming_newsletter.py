"""The newsletter's "À venir" reads the upcoming-purchase stage (archive.upcoming): announced purchases with the
day their call is expected, until the call is out; the call then says it was announced.

The APProch record is built for the test from the documented columns, announcing the real BOAMP call 26-7308
(published 2026-01-21); the PIN used as a call for competition is the real TED notice 219998-2024.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import unescape
from pathlib import Path

from conftest import FIXTURES, record
from test_newsletter import LABELS

from archive import upcoming
from archive.db import open_db
from archive.procedures import rebuild
from archive.store import Archive
from archive.tenders import tenders_upcoming
from classify.archive_run import classify_archive
from classify.engine import Classifier
from classify.taxonomy import THEME_CODES
from newsletter.content import Compiler, Filter
from newsletter.render import render
from notices import eforms
from notices.approch import parse_record as parse_approch
from notices.boamp import parse_record as parse_boamp
from notices.checks import check
from notices.eforms_xml import tree_from_xml
from notices.model import Notice

ANNOUNCEMENT = {
    "code": "90001",
    "libelle": "Prestations de traiteur (plateaux repas, cocktails) pour l'URSSAF Normandie",
    "siren_de_l_entite_acheteuse": 902097997,
    "nom_de_l_entite_acheteuse": "URSSAF Normandie",
    "code_s_cpv": "55520000",
    "montant_estime_du_marche": "40k - 100k€",
    "date_previsionnelle_de_publication": "2026-01-15",
    "departement_s_d_execution_du_marche": "76|14",
}


def compiled(tmp_path: Path, week: str, *notices: Notice) -> dict[str, list]:
    db = open_db(tmp_path / "n.db")
    Archive(db).upsert_notices(notices)
    rebuild(db, now=datetime(2026, 2, 1, tzinfo=UTC))
    upcoming.link(db)
    classify_archive(db, Classifier())
    issue = Compiler(db, Filter(themes=list(THEME_CODES)), LABELS).compile(week, [])
    return {s.key: s.entries for s in issue.sections} | {"_text": [unescape(render(issue, "txt").decode())]}


def test_an_announced_purchase_is_upcoming_until_its_call_is_out(tmp_path: Path) -> None:
    announcement = check(parse_approch(ANNOUNCEMENT))
    before = compiled(tmp_path / "a", "2026-W01", announcement)  # 29 December .. 4 January: expected on the 15th
    (entry,) = before["upcoming"]
    assert entry.expected == "jeudi 15 janvier 2026" and entry.value == "40k - 100k€ (fourchette)"
    assert "Publication prévue : jeudi 15 janvier 2026" in before["_text"][0]

    after = compiled(tmp_path / "b", "2026-W04", announcement, check(parse_boamp(record("26-7308"))))
    assert after["upcoming"] == []
    (call,) = [e for e in after["new"] if e.key == "boamp:26-7308"]
    assert call.announced == "Annoncé pour le jeudi 15 janvier 2026, publié le mercredi 21 janvier 2026"
    assert call.announced in after["_text"][0]


def test_a_pin_used_as_call_for_competition_says_until_when_to_express_interest(tmp_path: Path) -> None:
    """The stage holds it in its week; unthemed (a household-waste centre is not the construction-waste theme), it
    reaches the newsletter only through a theme, and then says until when to express interest."""
    path = FIXTURES / "upcoming" / "2024-OJS074-00219998.xml"
    pin = check(eforms.fill(Notice("ted", "219998-2024"), tree_from_xml(path.read_bytes())))
    db = open_db(tmp_path / "n.db")
    Archive(db).upsert_notices([pin])
    rebuild(db, now=datetime(2024, 4, 16, tzinfo=UTC))
    upcoming.link(db)
    (tender,) = tenders_upcoming(db, "2024-04-15", "2024-04-21", "2024-05-19")  # published Monday 15 April
    entry = Compiler(db, Filter(themes=list(THEME_CODES)), LABELS)._entry(tender.key, tender.notices[0], tender)
    assert entry.deadline_label == "Se manifester avant" and entry.deadline == "lundi 13 mai 2024 à\u00a012\u00a0h"
    assert entry.expected is None and entry.announced is None
    assert tenders_upcoming(db, "2024-05-20", "2024-05-26", "2024-06-23") == []  # a later week: not announced then
