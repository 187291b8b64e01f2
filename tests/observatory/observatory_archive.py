"""A small archive whose every figure is worked out by hand in tests/observatory/test_indicators.py.

Contracts and companies go in through `ContractStore` (the DECP pipeline's and the register loader's write
side), award notices through `Archive.upsert_notices`. The classifiers' output tables (`classifications`,
`notice_themes`, `contract_themes`) and the linker's columns (`contracts.notice_source`, `notice_source_id`,
`linked_by`) are written directly here: they are what the notice classifier, the contracts classifier and
the contract<->notice linker produce, which these tests do not run.

The archive (amounts in euros HT):

  key            buyer                 day         dép  amount  holders (register)                      social
  decp:B1-001    Ville de Paris        2024-02-10  75   100     Régie Solidaire (ESS, EI, TPE)          clause
  decp:B1-002    Ville de Paris        2024-05-03  75   200     ACME BTP (GE, not ESS) + Atelier PME    none
                                                                 (PME, not ESS): co-holders, 100 each
  decp:S-003     SOLIDEO               2024-08-20  93   300     ESAT (ESS, ESAT, size ?)                reserved, crit.
  decp:S-004     Dép. Seine-St-Denis   2024-11-05  93   400     a TVA number (no SIREN: unknown)        not stated
                 linked to the award notice boamp:24-100 (tied to Paris 2024): counted once, as this contract
  decp:B1-005    Ville de Paris        2023-12-15  75   1000    Grand Groupe (ETI, ESS unknown)         not stated
  decp:X-006     Commune de Lyon       2024-03-01  69   —       Grand Groupe (ETI, ESS unknown)         clause
  boamp:24-200   Métropole de Lyon     2024-06-12  69   lot 1: 500 Régie Solidaire; lot 2: 250 "Inconnue SARL"
                 (no SIRET: unknown); classified: insertion clause (both lots)
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import sqlite_utils

from archive.contracts import ContractStore
from archive.db import open_db
from archive.store import Archive
from notices.companies import Company
from notices.contracts import Contract, Winner
from notices.model import Award, Buyer, Notice

PARIS, SOLIDEO, SSD, LYON = "21750001600019", "81234567800010", "22930008201453", "21690123100011"
REGIE, ACME, PME, ESAT, GRAND = "11111111100011", "22222222200012", "33333333300013", "44444444400014", "55555555500015"


def _contract(uid: str, buyer: str, siret: str, day: str, dep: str, amount: float | None, winners: list[Winner],
              social: list[str] | None, obj: str = "Prestations") -> Contract:  # fmt: skip
    return Contract(
        uid=uid, id=uid.split("-")[-1], source="decp", buyer_siret=siret, buyer_name=buyer, object=obj,
        notified=date.fromisoformat(day), departement=dep, amount=amount, social=social or [],
        social_stated=social is not None, winners=winners,
    )  # fmt: skip


def build(db: sqlite_utils.Database) -> None:
    store = ContractStore(db)
    store.upsert_companies(
        [
            Company("111111111", "Régie Solidaire", ess=True, inclusive_kind="EI", size="TPE"),
            Company("222222222", "ACME BTP", ess=False, size="GE"),
            Company("333333333", "Atelier PME", ess=False, size="PME"),
            Company("444444444", "ESAT Les Ateliers", ess=True, inclusive_kind="ESAT"),
            Company("555555555", "Grand Groupe", ess=None, size="ETI"),
        ]
    )
    store.upsert_contracts(
        [
            _contract("B1-001", "Ville de Paris", PARIS, "2024-02-10", "75", 100, [Winner(REGIE, "SIRET")], ["clause"]),
            _contract(
                "B1-002",
                "Ville de Paris",
                PARIS,
                "2024-05-03",
                "75",
                200,
                [Winner(ACME, "SIRET"), Winner(PME, "SIRET")],
                [],
            ),  # fmt: skip
            _contract(
                "S-003", "SOLIDEO", SOLIDEO, "2024-08-20", "93", 300, [Winner(ESAT, "SIRET")], ["reserved", "criterion"]
            ),  # fmt: skip
            _contract(
                "S-004",
                "Département de la Seine-Saint-Denis",
                SSD,
                "2024-11-05",
                "93",
                400,
                [Winner("FR12345678901", "TVA", "Foreign Co")],
                None,
            ),  # fmt: skip
            _contract("B1-005", "Ville de Paris", PARIS, "2023-12-15", "75", 1000, [Winner(GRAND, "SIRET")], None),
            _contract("X-006", "Commune de Lyon", LYON, "2024-03-01", "69", None, [Winner(GRAND, "SIRET")], ["clause"]),
        ]
    )
    Archive(db).upsert_notices(
        [
            Notice(
                "boamp",
                "24-100",
                url="https://www.boamp.fr/avis/detail/24-100",
                title="Gardiennage du village",
                buyer=Buyer("Département de la Seine-Saint-Denis", SSD),
                kind="award",
                published=date(2024, 11, 20),
                departements=["93"],
                awards=[Award("Foreign Co", amount=400.0, currency="EUR")],
            ),  # fmt: skip
            Notice(
                "boamp",
                "24-200",
                url="javascript:alert(1)",
                title="Entretien des espaces verts",
                buyer=Buyer("Métropole de Lyon", "20004697700019"),
                kind="award",
                published=date(2024, 6, 12),
                departements=["69"],
                awards=[
                    Award("Régie Solidaire", REGIE, 500.0, "EUR", lot="1"),
                    Award("Inconnue SARL", None, 250.0, "EUR", lot="2"),
                ],
            ),  # fmt: skip
        ]
    )
    # the linker's output: S-004 is the contract of the award notice boamp:24-100
    db.execute(
        "update contracts set notice_source = 'boamp', notice_source_id = '24-100', linked_by = 'reference'"
        " where uid = 'S-004'"
    )
    # the notice classifier's output
    db["classifications"].insert_all(
        [
            {
                "source": "boamp",
                "source_id": "24-100",
                "reserved_contract": 0,
                "insertion_clause": 0,
                "social_criterion": 0,
                "event_name": "Paris 2024",
                "themes": "[]",
                "social": "{}",
            },
            {
                "source": "boamp",
                "source_id": "24-200",
                "reserved_contract": 0,
                "insertion_clause": 1,
                "social_criterion": 0,
                "event_name": None,
                "themes": "[]",
                "social": "{}",
            },
        ]  # fmt: skip
    )
    db["notice_themes"].insert_all(
        [
            {"source": "boamp", "source_id": "24-200", "theme": "restauration_solidaire", "score": 0.5},
            {"source": "boamp", "source_id": "24-200", "theme": "insertion_emploi", "score": 0.8},
        ]
    )
    # the contracts classifier's output
    db["contract_themes"].insert_all(
        [
            {"uid": "B1-001", "theme": "insertion_emploi", "score": 0.9},
            {"uid": "B1-002", "theme": "dechets_chantier", "score": 0.7},
            {"uid": "S-003", "theme": "restauration_solidaire", "score": 0.6},
            {"uid": "S-004", "theme": "surete_equipements", "score": 0.9},
        ]
    )
    db.conn.commit()


def make_archive(tmp_path: Path) -> Path:
    path = tmp_path / "watch.db"
    db = open_db(path)
    build(db)
    db.close()
    return path
