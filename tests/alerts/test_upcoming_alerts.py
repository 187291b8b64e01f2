"""Alerts before publication, end to end against a real SMTP server on loopback (aiosmtpd): an upcoming purchase
is sent once in the "À venir" block, its call once more marked "annoncé dans votre veille du …", then nothing.

The upcoming purchase is an APProch open-data record built for the test from the documented columns, announcing
the real BOAMP call 26-7308 (URSSAF Normandie, catering; its buyer's SIREN and CPV); the PIN used as a call for
competition is the real TED notice 219998-2024 (CAP Excellence, Guadeloupe).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import FIXTURES, SAMPLE_PROFILE, SmtpSink, alert_config, record, run_signed_alerts

from alerts import subscribers as subs
from archive import upcoming
from archive.db import open_db
from archive.private import open_private
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

BEFORE = datetime(2026, 1, 10, 8, 0, tzinfo=UTC)  # the call 26-7308 is published on 21 January
AFTER = datetime(2026, 2, 1, 8, 0, tzinfo=UTC)  # and open until 27 February


def announcement() -> Notice:
    return check(
        parse_approch(
            {
                "code": "90001",
                "libelle": "Prestations de traiteur (plateaux repas, cocktails) pour l'URSSAF Normandie",
                "siren_de_l_entite_acheteuse": 902097997,
                "nom_de_l_entite_acheteuse": "URSSAF Normandie",
                "code_s_cpv": "55520000",
                "montant_estime_du_marche": "40k - 100k€",
                "date_previsionnelle_de_publication": "2026-01-15",
                "departement_s_d_execution_du_marche": "76|14",
                "statut": "active",
            }
        )
    )


class World:
    def __init__(self, tmp: Path, smtp_url: str):
        self.config = alert_config(tmp, smtp_url)
        self.db = open_db(tmp / "w.db")
        self.private = open_private(tmp / "private.db")

    def add(self, *notices: Notice, now: datetime) -> None:
        """What the crawl and the link and classify jobs do."""
        Archive(self.db).upsert_notices(notices)
        rebuild(self.db, now=now)
        upcoming.link(self.db)
        classify_archive(self.db, Classifier())

    def subscribe(self, **profile: object) -> int:
        data = {**SAMPLE_PROFILE, "frequency": "each_run", "notice_kinds": ["open", "upcoming"], **profile}
        return subs.save(self.private, subs.validate(data))

    def alerts(self, now: datetime) -> dict:
        return run_signed_alerts(self.config, now)


@pytest.fixture
def world(tmp_path: Path, smtp: SmtpSink) -> World:
    return World(tmp_path, smtp.url)


def bodies(message: object) -> tuple[str, str]:
    return (
        message.get_body(preferencelist=("plain",)).get_content(),  # type: ignore[attr-defined]
        message.get_body(preferencelist=("html",)).get_content(),  # type: ignore[attr-defined]
    )


def test_upcoming_then_announced_call_then_nothing(world: World, smtp: SmtpSink) -> None:
    world.add(announcement(), now=BEFORE)
    world.subscribe()
    assert world.alerts(BEFORE)["sent"] == 1
    text, html = bodies(smtp.messages[0][2])
    assert "À VENIR" in text and ">À venir</h2>" in html
    assert "[À venir] Prestations de traiteur (plateaux repas, cocktails) pour l'URSSAF Normandie" in text
    assert "Publication prévue : jeudi 15 janvier 2026" in text
    assert "Montant estimé : 40k - 100k€ (fourchette de l'acheteur)" in text
    assert "À préparer : votre agrément sanitaire, des menus types" in text and "attestations (URSSAF" in text
    assert world.alerts(BEFORE)["sent"] == 0  # a re-run sends it no second time

    world.add(check(parse_boamp(record("26-7308"))), now=AFTER)  # the call is out
    assert world.alerts(AFTER)["sent"] == 1
    text, html = bodies(smtp.messages[1][2])
    assert "[Nouveau] Prestations traiteurs pour l'URSSAF Normandie" in text
    assert "Annoncé dans votre veille du samedi 10 janvier 2026, publié le mercredi 21 janvier 2026" in text
    assert "Annoncé dans votre veille du" in html and "À VENIR" not in text  # its announcement is not sent again

    assert world.alerts(AFTER)["sent"] == 0
    world.add(announcement(), check(parse_boamp(record("26-7308"))), now=AFTER)  # re-crawled, unchanged
    assert world.alerts(AFTER)["sent"] == 0
    assert len(smtp.messages) == 2


def test_a_subscriber_who_joins_after_the_call_gets_the_call_once(world: World, smtp: SmtpSink) -> None:
    world.add(announcement(), check(parse_boamp(record("26-7308"))), now=AFTER)
    world.subscribe()
    world.alerts(AFTER)
    world.alerts(AFTER)
    ((_, _, message),) = smtp.messages
    text, _ = bodies(message)
    assert "À VENIR" not in text and "Annoncé le" not in text.split("Prestations traiteurs")[0]
    assert "[Nouveau] Prestations traiteurs pour l'URSSAF Normandie" in text


def test_a_pin_used_as_call_for_competition_asks_for_interest(world: World, smtp: SmtpSink) -> None:
    path = FIXTURES / "upcoming" / "2024-OJS074-00219998.xml"
    pin = check(eforms.fill(Notice("ted", "219998-2024", published=None), tree_from_xml(path.read_bytes())))
    world.add(pin, now=datetime(2024, 4, 16, 6, 0, tzinfo=UTC))
    world.subscribe(name="Recyclerie", themes=[], keywords=["déchetterie", "réemploi"], departements=["971"])
    world.alerts(datetime(2024, 4, 16, 6, 0, tzinfo=UTC))
    ((_, _, message),) = smtp.messages
    text, _ = bodies(message)
    assert "À VENIR" in text and "Gestion et Exploitation de la déchetterie intercommunale" in text
    assert "Se manifester avant : lundi 13 mai 2024 à\u00a012\u00a0h" in text
    assert "manifestez le vôtre avant la date limite" in text


def test_a_value_band_is_out_of_a_profile_only_when_all_of_it_is(world: World, smtp: SmtpSink) -> None:
    world.add(announcement(), now=BEFORE)  # "40k - 100k€"
    world.subscribe(name="Petite", emails=["petite@example.org"], value_max=30_000)
    world.subscribe(name="Moyenne", emails=["moyenne@example.org"], value_max=50_000)
    world.subscribe(name="Grande", emails=["grande@example.org"], value_min=150_000)
    world.alerts(BEFORE)
    assert [rcpts for _, rcpts, _ in smtp.messages] == [["moyenne@example.org"]]
