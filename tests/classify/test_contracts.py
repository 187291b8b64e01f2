"""Awarded contracts on the ten themes: the notices' classifier on the real DECP rows, incremental."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

from conftest import FIXTURES

from archive.contracts import ContractStore
from archive.db import open_db
from classify.contracts import classify_contracts, contract_input
from classify.engine import Classifier
from classify.taxonomy import load
from classify.weights import load as load_weights
from notices.contracts import Contract
from notices.decp import read_contracts

CSV = FIXTURES / "decp" / "decp_v3_2024_9rows_decp-processing.csv"


def classifier() -> Classifier:
    taxonomy = load(None)
    return Classifier(taxonomy, None, load_weights(None, taxonomy.fields, taxonomy.threshold))


def test_contracts_get_themes_once_then_only_when_they_change(tmp_path: Path) -> None:
    db = open_db(tmp_path / "c.db")
    contracts = [c for c in read_contracts(io.BytesIO(CSV.read_bytes())) if isinstance(c, Contract)]
    store = ContractStore(db)
    store.upsert_contracts(contracts)
    engine = classifier()
    first = classify_contracts(db, engine)
    assert first["contracts_classified"] == 9
    themes = dict(db.execute("select uid, theme from contract_themes").fetchall())
    # "EXPLOITATION ET MAINTENANCE D'INFRASTRUCTURES DE RECHARGE POUR VEHICULES ELECTRIQUES": mobility
    assert themes["200056844000182024FCS05_1"] == "mobilite_verte"
    assert set(db.execute("select taxonomy_version from contract_themes").fetchall()) == {(engine.version,)}
    assert classify_contracts(db, engine)["contracts_classified"] == 0  # nothing new: nothing done
    charpente = next(c for c in contracts if c.id == "24-1065297-2")
    store.upsert_contracts([replace(charpente, object="Restauration scolaire : fourniture et livraison de repas")])
    again = classify_contracts(db, engine)
    assert again["contracts_classified"] == 1
    assert db.execute("select theme from contract_themes where uid = ?", [charpente.uid]).fetchall() == [
        ("restauration_solidaire",)
    ]
    before = db.execute("select count(*) from contract_themes").fetchone()[0]
    assert classify_contracts(db, engine, all_contracts=True)["contracts_classified"] == 9
    assert db.execute("select count(*) from contract_themes").fetchone()[0] == before  # rewritten, not added


def test_the_classifier_reads_the_object_and_the_cpv() -> None:
    doc = contract_input({"uid": "U1", "object": "Repas", "cpv": "55523100", "buyer_name": None})
    assert (doc.id, doc.title, doc.cpv) == ("decp:U1", "Repas", ["55523100"])
