"""Buyer platforms: the Atexo feed and consultation page, plain feeds, site items, and the date function."""

from __future__ import annotations

from datetime import datetime

import pytest
from conftest import FIXTURES

from notices.dates import parse_instant
from notices.model import Notice
from notices.platforms import (
    fill_from_atexo_page,
    notice_from_atexo_item,
    notice_from_feed_entry,
    notice_from_site_item,
    parse_feed,
)
from replay.platforms import rss

BUYERS = FIXTURES / "buyers"


def test_atexo_feed_item() -> None:
    (item,) = parse_feed(rss([(BUYERS / "maximilien_rss_item.xml").read_bytes()]))
    n = notice_from_atexo_item("maximilien", item)
    assert (n.source, n.source_id) == ("maximilien", "803968")
    assert n.url.endswith("&AllCons&id=803968&orgAcronyme=a2k")  # bare & kept
    assert n.title.startswith("FOURNITURE DE GANTS NITRILE")
    assert n.buyer.name == "Centre Hospitalier Intercommunal de Poissy saint Germain"
    assert n.deadline == datetime.fromisoformat("2026-03-14T12:00:00+01:00")
    assert n.cpv == ["18424300"] and n.departements == ["78"] and n.contract_type == "supplies"
    assert n.alt_ids == ["maximilien:a2k:803968"]


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        ("place_detail_35620337.html", ("2020-44KT-INC", "2020-09-15T12:00:00+02:00", ["71335000"], ["44"], 0)),
        (
            "place_detail_35664746.html",
            (
                "2020_PFRA_GE_CRA_CONT",
                "2020-09-16T12:00:00+02:00",
                ["79110000"],
                ["67", "68", "08", "10", "51", "52"],
                2,
            ),
        ),
    ],
)
def test_atexo_consultation_page(page: str, expected: tuple) -> None:
    n = Notice("place", "x")
    fields = fill_from_atexo_page(n, (BUYERS / "place" / page).read_bytes())
    reference, deadline, cpv, depts, lots = expected
    assert n.reference == reference and n.deadline == datetime.fromisoformat(deadline)  # "15/09/2020 12:00", Paris
    assert n.cpv == cpv and n.departements == depts and len(n.lots) == lots
    assert n.contract_type == "services" and fields["typeProcedure"] == "Procédure adaptée"
    assert "é" in (n.title + n.description)  # the page's encoding is read right


def test_plain_feed_entry_reads_a_deadline_in_its_text() -> None:
    feed = (
        b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><entry><title>Travaux de voirie</title>'
        b'<link href="https://ville.example.org/ao/12"/><id>urn:ao:12</id><updated>2026-05-02T09:00:00Z</updated>'
        b"<summary>Date limite de remise des offres : 29/05/2026 12:00</summary></entry></feed>"
    )
    (entry,) = parse_feed(feed)
    n = notice_from_feed_entry("ville", entry, "Ville d'Exemple")
    assert n.url == "https://ville.example.org/ao/12" and n.buyer.name == "Ville d'Exemple"
    assert n.deadline == datetime.fromisoformat("2026-05-29T12:00:00+02:00")


def test_site_item_requires_a_title_and_a_link() -> None:
    n = notice_from_site_item("ville", {"title": "T", "link": "https://x.org/1", "place": "93100 Montreuil"}, "B")
    assert n.departements == ["93"] and n.buyer.name == "B"
    with pytest.raises(ValueError, match="link"):
        notice_from_site_item("ville", {"title": "T"}, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("vendredi 13 mars 2026 - 12:00", "2026-03-13T12:00:00+01:00"),
        ("19/06/2026 à 12h00", "2026-06-19T12:00:00+02:00"),
        ("Sat, 14 Mar 2026 12:00:00 +0100", "2026-03-14T12:00:00+01:00"),
        ("15/09/2020 12:00", "2020-09-15T12:00:00+02:00"),
        ("2026-07-30T10:00:00Z", "2026-07-30T10:00:00+00:00"),
        ("2023-10-18T22:00:00.000Z", "2023-10-18T22:00:00+00:00"),
        ("le 3 sept. 2026 à 14 h 30", "2026-09-03T14:30:00+02:00"),
        ("29/07/2026", "2026-07-29T23:59:59+02:00"),
        ("14 March 2026 at 10:15", "2026-03-14T10:15:00+01:00"),
    ],
)
def test_every_date_form(text: str, expected: str) -> None:
    assert parse_instant(text) == datetime.fromisoformat(expected)


@pytest.mark.parametrize("text", ["aujourd'hui à 12h", "demain 12:00", "13 mars à 12:00", "dans 3 jours", "", "n/a"])
def test_relative_and_yearless_dates_are_rejected(text: str) -> None:
    assert parse_instant(text) is None
