"""Contracts (DECP) linked to the watch's notices: by reference, else by buyer + object + date, never by the
buyer alone. The contracts are the real rows of the flattened 2024 CSV; the notices are built with their
buyers' SIRETs and objects (no recorded notice of these buyers exists in the fixtures)."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from conftest import FIXTURES

from archive.contract_links import link_contracts
from archive.contracts import ContractStore
from archive.db import open_db
from archive.procedures import rebuild
from archive.store import Archive
from notices.contracts import Contract
from notices.decp import read_contracts
from notices.model import Award, Buyer, Lot, Notice

CSV = FIXTURES / "decp" / "decp_v3_2024_9rows_decp-processing.csv"
BUYER = "21440209100018"  # the buyer of "202409LOT02PAY" (abords du groupe scolaire Alexandre Vincent)


def real_contracts() -> dict[str, Contract]:
    return {c.id: c for c in read_contracts(io.BytesIO(CSV.read_bytes())) if isinstance(c, Contract)}


def notice(source_id: str, title: str, published: str, *, siret: str = BUYER, kind: str = "contract_notice",
           reference: str | None = None, lots: list[str] | None = None) -> Notice:  # fmt: skip
    return Notice(
        source="boamp",
        source_id=source_id,
        title=title,
        buyer=Buyer(name="Commune", siret=siret),
        kind=kind,  # type: ignore[arg-type]
        published=date.fromisoformat(published),
        reference=reference,
        lots=[Lot(number=str(i + 1), title=t) for i, t in enumerate(lots or [])],
    )


def contract(base: Contract, **changes: object) -> Contract:
    from dataclasses import replace

    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    return Archive(open_db(tmp_path / "links.db"))


def links(archive: Archive) -> dict[str, tuple[str | None, str | None, float | None]]:
    rows = archive.db.execute("select id, notice_source_id, linked_by, link_score from contracts order by id")
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def test_two_contracts_of_one_buyer_go_to_their_own_notice_and_a_third_to_none(archive: Archive) -> None:
    real = real_contracts()["202409LOT02PAY"]
    cleaning = contract(real, uid="U-clean", id="2024-NET", object="Nettoyage des locaux de la mairie et des écoles")
    unrelated = contract(real, uid="U-it", id="2024-INFO", object="Maintenance du parc informatique et téléphonie")
    archive.upsert_notices(
        [
            notice("24-1", "Réaménagement des abords du groupe scolaire Alexandre Vincent", "2024-07-10",
                   lots=["Lot 01 VRD", "Lot 02 Réaménagement des abords du groupe scolaire Alexandre Vincent"]),
            notice("24-2", "Prestations de nettoyage des locaux de la mairie et des écoles", "2024-06-01"),
            notice("24-3", "Fourniture de repas pour la restauration scolaire", "2024-05-01"),
        ]
    )  # fmt: skip
    ContractStore(archive.db).upsert_contracts([real, cleaning, unrelated])
    rebuild(archive.db)
    counts = link_contracts(archive.db)
    found = links(archive)
    assert found["202409LOT02PAY"][:2] == ("24-1", "buyer_object_date")
    assert found["2024-NET"][:2] == ("24-2", "buyer_object_date")
    assert found["2024-INFO"] == (None, None, None)  # the same buyer is not enough
    assert counts["buyer_object_date"] == 2 and counts["none"] == 1
    assert 0.8 <= found["202409LOT02PAY"][2] <= 1.0
    procedure = archive.db.execute("select procedure_id from contracts where id = '202409LOT02PAY'").fetchone()[0]
    assert (
        procedure
        == archive.db.execute("select procedure_id from procedure_notices where source_id = '24-1'").fetchone()[0]
    )


def test_the_reference_links_even_when_the_object_is_worded_otherwise(archive: Archive) -> None:
    real = real_contracts()["2024FCS05_1"]  # buyer 20005684400018
    archive.upsert_notices(
        [
            notice("24-9", "IRVE : exploitation", "2024-05-02", siret="20005684400099", reference="2024FCS05"),
            notice("24-8", "Autre marché", "2024-05-02", siret="99999999900011", reference="2024FCS05"),
        ]
    )
    ContractStore(archive.db).upsert_contracts([real])
    link_contracts(archive.db)
    assert links(archive)["2024FCS05_1"] == ("24-9", "reference", 1.0)  # same SIREN, another establishment


def test_dates_outside_the_window_and_other_buyers_never_link(archive: Archive) -> None:
    real = real_contracts()["202409LOT02PAY"]  # notified 2024-10-25
    title = "Réaménagement des abords du groupe scolaire Alexandre Vincent"
    archive.upsert_notices(
        [
            notice("25-1", title, "2025-01-15"),  # published after the notification: not its call
            notice("21-1", title, "2021-01-15"),  # years before
            notice("24-5", title, "2024-07-10", siret="21330063500017"),  # another buyer, same words
        ]
    )
    ContractStore(archive.db).upsert_contracts([real])
    link_contracts(archive.db)
    assert links(archive)["202409LOT02PAY"] == (None, None, None)


def test_two_procedures_that_fit_alike_leave_the_contract_unlinked(archive: Archive) -> None:
    real = real_contracts()["202409LOT02PAY"]
    title = "Réaménagement des abords du groupe scolaire Alexandre Vincent"
    archive.upsert_notices([notice("24-1", title, "2024-07-10"), notice("24-2", title, "2024-07-12")])
    ContractStore(archive.db).upsert_contracts([real])
    rebuild(archive.db)
    counts = link_contracts(archive.db)
    assert counts["ambiguous"] == 1 and links(archive)["202409LOT02PAY"] == (None, None, None)


def test_an_award_notice_after_the_notification_links_and_a_rerun_changes_nothing(archive: Archive) -> None:
    real = real_contracts()["24-1065297-2"]  # notified 2024-12-12, buyer 20003994900017
    archive.upsert_notices(
        [notice("25-10", "Construction d'une déchèterie communautaire à Maizières-lès-Metz", "2025-01-20",
                siret="20003994900017", kind="award", lots=["Lot 2 : Charpente bois"])]
    )  # fmt: skip
    store = ContractStore(archive.db)
    store.upsert_contracts([real])
    link_contracts(archive.db)
    first = links(archive)["24-1065297-2"]
    assert first[:2] == ("25-10", "buyer_object_date")
    again = link_contracts(archive.db)
    assert again["kept"] == 1 and links(archive)["24-1065297-2"] == first
    store.upsert_contracts([contract(real, amount=30000.0)])  # a new reading keeps the link
    assert links(archive)["24-1065297-2"] == first


def test_a_notice_without_siret_links_by_a_distinctive_reference_only(archive: Archive) -> None:
    contracts = real_contracts()
    bornes, tableau = contracts["2024FCS05_1"], contracts["202404"]  # notified 2024-10-15 and 2024-12-05
    archive.upsert_notices(
        [
            notice("24-20", "IRVE", "2024-06-02", siret=None, reference="2024FCS05_1"),  # type: ignore[arg-type]
            notice("24-21", "Restauration d'un tableau", "2024-06-02", siret=None, reference="202404"),  # type: ignore[arg-type]
        ]
    )
    ContractStore(archive.db).upsert_contracts([bornes, tableau])
    rebuild(archive.db)
    link_contracts(archive.db)
    found = links(archive)
    assert found["2024FCS05_1"] == ("24-20", "reference", 0.9)
    assert found["202404"] == (None, None, None)  # "202404": digits only, any buyer's id could be that


def test_a_reference_on_two_procedures_without_siret_links_to_neither(archive: Archive) -> None:
    bornes = real_contracts()["2024FCS05_1"]
    archive.upsert_notices(
        [
            notice("24-30", "IRVE", "2024-06-02", siret=None, reference="2024-FCS-05-1"),  # type: ignore[arg-type]
            notice("24-31", "Autre", "2024-03-02", siret=None, reference="2024FCS05_1"),  # type: ignore[arg-type]
        ]
    )
    ContractStore(archive.db).upsert_contracts([bornes])
    rebuild(archive.db)
    link_contracts(archive.db)
    assert links(archive)["2024FCS05_1"] == (None, None, None)


def test_an_award_notice_naming_the_holder_links_without_a_buyer_siret(archive: Archive) -> None:
    charpente = real_contracts()["24-1065297-2"]  # holder 81918510900025, notified 2024-12-12
    award = notice("25-40", "Déchèterie communautaire : charpente bois", "2025-01-10", siret=None, kind="award")  # type: ignore[arg-type]
    award.awards = [Award(winner="Charpentes de l'Est", siret="81918510900025", lot="2")]
    elsewhere = notice("25-41", "Déchèterie : charpente bois", "2025-01-10", siret="21330063500017", kind="award")
    elsewhere.awards = [Award(winner="Charpentes de l'Est", siret="81918510900025")]  # another buyer's
    archive.upsert_notices([award, elsewhere])
    ContractStore(archive.db).upsert_contracts([charpente])
    counts = link_contracts(archive.db)
    source_id, how, score = links(archive)["24-1065297-2"]
    assert (source_id, how, counts["award_winner"]) == ("25-40", "award_winner", 1)
    assert 0.75 <= score <= 1.0
