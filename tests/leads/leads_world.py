"""An archive for the partnering-lead tests, built from recorded data.

- Contracts: real DECP rows (tests/fixtures/leads/decp_v3_2024_9rows_decp-processing.csv) turned into
  `Contract` records by hand, through ContractStore.upsert_contracts.
- Their themes: `contract_themes` rows written directly, standing in for the contracts classifier (another
  stage): the déchèterie works -> dechets_chantier, the fuel supply -> mobilite_verte.
- Notices: real BOAMP records (tests/fixtures/boamp), classified by the real classifier; where a test needs an
  award notice's theme and insertion clause, its `classifications` / `notice_themes` rows are written directly
  (said where it is done).
- Companies: `Company` rows written for the winners' SIRENs with the size each case needs. They are made up
  for the tests, NOT what the register says about these companies (the recorded register samples share no
  SIREN with any recorded winner).
"""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path
from typing import Any

import sqlite_utils

from archive.contracts import ContractStore
from archive.procedures import rebuild
from archive.store import Archive
from archive.tenders import Classification, SocialFlags, Theme, save_classifications
from classify.archive_run import classify_archive
from classify.engine import Classifier
from notices.boamp import parse_record
from notices.companies import Company
from notices.contracts import Contract, Winner

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
DECHETERIE = "2000399490001724-1065297-2"  # buyer SIRET + id: Maizières-lès-Metz, charpente bois, clause sociale
CARBURANT = "21340129200015202424FO15-02"  # fuel supply, Hérault (34970), no social consideration
DECHETERIE_SIREN = "819185109"
CARBURANT_SIREN = "636550014"


def decp_rows() -> dict[str, dict[str, str]]:
    path = FIXTURES / "leads" / "decp_v3_2024_9rows_decp-processing.csv"
    with path.open(encoding="utf-8-sig", newline="") as f:
        return {r["acheteur.id"] + r["id"]: r for r in csv.DictReader(f, delimiter=";")}


def contract(uid: str, *, winner_name: str | None = None, subcontracting: bool | None = None) -> Contract:
    """A real DECP row as a Contract (the fields the leads read), mapped by hand."""
    r = decp_rows()[uid]
    social = ["clause"] if "Clause sociale" in r["considerationsSociales"] else []
    place = r["lieuExecution.code"]
    return Contract(
        uid=uid,
        id=r["id"],
        source="decp",
        dataset=r["source"],
        buyer_siret=r["acheteur.id"],
        object=r["objet"],
        cpv=r["codeCPV"][:8],
        procedure=r["procedure"],
        notified=date.fromisoformat(r["dateNotification"]),
        published=date.fromisoformat(r["datePublicationDonnees"]),
        duration_months=int(r["dureeMois"]),
        amount=float(r["montant"]),
        place_code=place,
        place_type=r["lieuExecution.typeCode"],
        departement=place[:2],
        social=social,  # type: ignore[arg-type]
        social_stated=True,
        subcontracting_declared=(r["sousTraitanceDeclaree"] == "True") if subcontracting is None else subcontracting,
        winners=[Winner(r["titulaire_id_1"], r["titulaire_typeIdentifiant_1"], winner_name)],
    )


def boamp_record(idweb: str) -> dict[str, Any]:
    for path in sorted((FIXTURES / "boamp").glob("*.json")):
        for r in json.loads(path.read_text(encoding="utf-8"))["results"]:
            if r["idweb"] == idweb:
                return r
    raise KeyError(idweb)


class LeadsArchive:
    def __init__(self, db: sqlite_utils.Database):
        self.db = db
        self.contracts = ContractStore(db)

    def add_contracts(self, *contracts: Contract, themes: dict[str, str] | None = None) -> None:
        self.contracts.upsert_contracts(contracts)
        themes = themes or {DECHETERIE: "dechets_chantier", CARBURANT: "mobilite_verte"}
        rows = [{"uid": c.uid, "theme": themes[c.uid], "score": 0.9, "taxonomy_version": "test"} for c in contracts]
        self.db["contract_themes"].insert_all(rows, pk=("uid", "theme"), replace=True)

    def company(self, siren: str, size: str | None, *, ess: bool | None = False, kind: str | None = None) -> None:
        self.contracts.upsert_companies([Company(siren, size=size, ess=ess, inclusive_kind=kind, sources=["test"])])  # type: ignore[arg-type]

    def add_notices(self, *idwebs: str, now: Any = None) -> None:
        Archive(self.db).upsert_notices([parse_record(boamp_record(i)) for i in idwebs])
        rebuild(self.db, now=now)
        classify_archive(self.db, Classifier())

    def classify_by_hand(self, idweb: str, theme: str, *, insertion: str | None = None) -> None:
        """The classifier's output written directly (a theme, an insertion clause with its evidence)."""
        social = SocialFlags(
            insertion_clause=bool(insertion), evidence={"insertion_clause": [{"text": insertion}] if insertion else []}
        )
        save_classifications(
            self.db, [Classification("boamp", idweb, themes=[Theme(theme, 0.8)], social=social, version="test")]
        )
