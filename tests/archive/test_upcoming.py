"""Linking upcoming purchases to the calls they became (archive.upcoming) and the read side that shows it.

The real pair is the BOAMP call 26-7308 (URSSAF Normandie, catering) and an APProch open-data record announcing
it, built for the test from the dataset's documented columns with the call's own buyer SIREN and CPV (no real
APProch record of a call on record exists). The unrelated purchases are notices written here in the normalized
shape.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from conftest import record

from alerts.items import load_items
from alerts.upcoming import announced_line
from archive import upcoming
from archive.db import open_db
from archive.procedures import rebuild
from archive.store import Archive
from archive.tenders import tenders_changed_since
from notices.approch import parse_record as parse_approch
from notices.boamp import parse_record as parse_boamp
from notices.checks import check
from notices.model import Buyer, Notice

NOW = datetime(2026, 2, 1, 8, 0, tzinfo=UTC)
PARIS_SIRET = "21750001600019"


def approch_urssaf(**changes: object) -> dict:
    return {
        "code": "90001",
        "libelle": "Prestations de traiteur (plateaux repas, cocktails) pour l'URSSAF Normandie",
        "siren_de_l_entite_acheteuse": 902097997,  # the SIREN of the call's SIRET 90209799700016
        "nom_de_l_entite_acheteuse": "URSSAF Normandie",
        "code_s_cpv": "55520000",
        "montant_estime_du_marche": "40k - 100k€",
        "date_previsionnelle_de_publication": "2026-01-15",
        "departement_s_d_execution_du_marche": "76|14",
        "statut": "active",
        **changes,
    }


def notice(source_id: str, kind: str, title: str, cpv: str, published: date, **kw: object) -> Notice:
    n = Notice(
        "boamp" if kind == "contract_notice" else "approch",
        source_id,
        title=title,
        kind=kind,  # type: ignore[arg-type]
        buyer=Buyer(name="Ville de Paris", siret=kw.pop("siret", PARIS_SIRET)),  # type: ignore[arg-type]
        cpv=[cpv],
        published=published,
        departements=["75"],
    )
    for k, v in kw.items():
        setattr(n, k, v)
    return check(n)


class Store:
    def __init__(self, tmp: Path):
        self.db = open_db(tmp / "w.db")
        self.archive = Archive(self.db)

    def add(self, *notices: Notice) -> dict[str, int]:
        self.archive.upsert_notices(notices)
        rebuild(self.db, now=NOW)
        return upcoming.link(self.db)

    def links(self) -> dict[str, str]:
        return {
            f"{r['upcoming_source']}:{r['upcoming_source_id']}": f"{r['call_source']}:{r['call_source_id']}"
            for r in self.db["upcoming_links"].rows
        }


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path)


def test_an_approch_project_links_to_its_later_call(store: Store) -> None:
    counts = store.add(check(parse_approch(approch_urssaf())))
    assert counts["upcoming"] == 1 and counts["linked"] == 0
    counts = store.add(check(parse_boamp(record("26-7308"))))  # published 2026-01-21
    assert counts["linked"] == 1 and counts["new"] == 1
    (row,) = store.db["upcoming_links"].rows
    assert (row["call_source"], row["call_source_id"], row["method"]) == ("boamp", "26-7308", "buyer_cpv_title")
    assert row["expected"] == "2026-01-15" and row["published"] == "2026-01-21" and row["score"] >= 80
    # the read side: the call's tender knows its announcement, the announcement knows its call
    tenders = {t.key: t for t in tenders_changed_since(store.db, None)}
    call, announced = tenders["boamp:26-7308"], tenders["approch:90001"]
    assert [a.upcoming for a in call.announced_by] == ["approch:90001"]
    assert [a.call_tender for a in announced.published_as] == ["boamp:26-7308"]
    items = {i.procedure_id: i for i in load_items(store.db, since=None)}
    assert items["approch:90001"].category == "upcoming" and items["approch:90001"].published_as == ["boamp:26-7308"]
    assert items["approch:90001"].value_band == "40k - 100k€"
    assert items["boamp:26-7308"].announced_by == ["approch:90001"]


def test_rerunning_changes_nothing(store: Store) -> None:
    store.add(check(parse_approch(approch_urssaf())), check(parse_boamp(record("26-7308"))))
    before = list(store.db["upcoming_links"].rows)
    again = upcoming.link(store.db)
    assert again == {"upcoming": 1, "linked": 1, "new": 0, "changed": 0, "dropped": 0}
    assert list(store.db["upcoming_links"].rows) == before  # linked_at kept


def test_two_unrelated_purchases_of_one_buyer_do_not_cross_link(store: Store) -> None:
    meals = notice(
        "P1",
        "prior_information",
        "Fourniture de repas pour les crèches municipales",
        "15894210",
        date(2026, 1, 5),
        expected_publication=date(2026, 3, 1),
    )
    cleaning = notice(
        "P2",
        "prior_information",
        "Nettoyage des locaux administratifs",
        "90910000",
        date(2026, 1, 5),
        expected_publication=date(2026, 4, 1),
    )
    other_buyer = notice(
        "P3",
        "prior_information",
        "Nettoyage des locaux administratifs",
        "90910000",
        date(2026, 1, 5),
        siret="20004697700019",
    )
    cleaning_call = notice(
        "C2",
        "contract_notice",
        "Prestations de nettoyage des locaux administratifs de la mairie",
        "90911200",
        date(2026, 3, 20),
    )
    meals_call = notice(
        "C1", "contract_notice", "Livraison de repas en liaison froide pour les crèches", "15894210", date(2026, 2, 20)
    )
    furniture = notice("C3", "contract_notice", "Fourniture de mobilier scolaire", "39160000", date(2026, 3, 1))
    early = notice("C0", "contract_notice", "Nettoyage des locaux administratifs", "90910000", date(2025, 12, 1))
    store.add(meals, cleaning, other_buyer, cleaning_call, meals_call, furniture, early)
    assert store.links() == {"approch:P1": "boamp:C1", "approch:P2": "boamp:C2"}  # never before the announcement


def test_a_pin_and_its_call_in_one_procedure(store: Store) -> None:
    pin = notice(
        "PIN", "prior_information", "Entretien des espaces verts", "77310000", date(2026, 1, 2), procedure_id="proc-1"
    )
    call = notice("CN", "contract_notice", "Tonte et taille", "77310000", date(2026, 2, 2), procedure_id="proc-1")
    store.add(pin, call)
    (row,) = store.db["upcoming_links"].rows
    assert row["method"] == "same procedure" and row["score"] == 100
    (item,) = load_items(store.db, since=None)
    assert item.category == "open" and item.announced_on == "2026-01-02" and item.upcoming_keys == {"approch:PIN"}
    assert announced_line(item, None) == "Annoncé le vendredi 2 janvier 2026, publié le lundi 2 février 2026"
    mine = announced_line(item, "2026-01-03T07:00:00+00:00")
    assert mine == "Annoncé dans votre veille du samedi 3 janvier 2026, publié le lundi 2 février 2026"
