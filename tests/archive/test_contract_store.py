"""The contracts store: a re-run changes nothing, an update rewrites holders and modifications but keeps the
link columns, and the companies register merges what each file knows without forgetting."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from archive.contracts import CONTRACT_COLUMNS, ContractStore, contract_values
from archive.db import open_db
from notices.companies import Company
from notices.contracts import Contract, Modification, Winner


def _contract(**changes: object) -> Contract:
    values: dict[str, object] = {
        "uid": "2134012920001520242FO15-02",
        "id": "202424FO15-02",
        "source": "decp",
        "buyer_siret": "21340129200015",
        "object": "FOURNITURE DE CARBURANT Lot 2",
        "cpv": "24321000",
        "notified": date(2024, 12, 31),
        "amount": 400000.0,
        "social_stated": True,
        "winners": [Winner("63655001400048", "SIRET"), Winner("FR32918950000", "TVA")],
        "modifications": [Modification("1", notified=date(2025, 3, 1), amount=420000.0)],
    }
    values.update(changes)
    return Contract(**values)  # type: ignore[arg-type]


def test_a_rerun_changes_nothing_and_an_update_keeps_the_link(tmp_path: Path) -> None:
    db = open_db(tmp_path / "a.db")
    store = ContractStore(db)
    assert store.upsert_contracts([_contract()]).new == 1
    assert store.upsert_contracts([_contract()]).unchanged == 1
    db.execute("update contracts set notice_source = 'boamp', notice_source_id = '24-1', linked_by = 'reference'")
    db.conn.commit()
    counts = store.upsert_contracts([_contract(winners=[Winner("63655001400048", "SIRET")])])
    assert counts.updated == 1
    row = db["contracts"].get("2134012920001520242FO15-02")
    assert (row["notice_source"], row["notice_source_id"], row["winners"]) == ("boamp", "24-1", 1)
    assert [r["siren"] for r in db.query("select siren from contract_winners")] == ["636550014"]
    assert db["contract_modifications"].count == 1
    # stated with no social consideration: 0, not unknown; unstated: null
    assert (row["social_clause"], row["reserved"]) == (0, 0)
    store.upsert_contracts([_contract(uid="other", social_stated=False)])
    assert db["contracts"].get("other")["social_clause"] is None


def test_a_csv_row_is_kept_as_read_and_its_header_once_per_file_layout(tmp_path: Path) -> None:
    header = "id;acheteur.id;objet\r\n"
    contracts = [
        _contract(uid=f"u{n}", raw=f"A{n};21340129200015;Carburant\r\n", raw_header=header) for n in range(3)
    ] + [_contract(uid="json", raw='{"id": "A9"}')]
    with open_db(tmp_path / "a.db") as db:
        ContractStore(db).upsert_contracts(contracts)
        ContractStore(db).upsert_contracts([_contract(uid="u9", raw="A9;x;y\r\n", raw_header=header)])
        assert db["contract_raw_headers"].count == 1
        rows = db.execute(
            "select uid, raw, header from contract_raw left join contract_raw_headers h on h.id = header_id"
            " order by uid"
        ).fetchall()
    assert rows[0] == ("json", '{"id": "A9"}', None)
    assert rows[1] == ("u0", "A0;21340129200015;Carburant\r\n", header) and len(rows) == 5


def test_a_tva_holder_has_no_siren() -> None:
    assert Winner("FR32918950000", "TVA").siren is None
    assert Winner("636550014", "SIREN").siren == "636550014"
    assert Winner("63655001400048").siren == "636550014"


def test_the_register_merges_files_without_forgetting(tmp_path: Path) -> None:
    db = open_db(tmp_path / "a.db")
    store = ContractStore(db)
    store.upsert_companies([Company("123456789", name="Régie", ess=True, sources=["sirene"])])
    store.upsert_companies([Company("123456789", inclusive_kind="EI", sources=["siae"])])
    row = db["companies"].get("123456789")
    assert (row["name"], row["ess"], row["inclusive_kind"], row["sources"]) == ("Régie", 1, "EI", '["siae", "sirene"]')


def _row(contract: Contract) -> dict[str, object]:
    return dict(zip(CONTRACT_COLUMNS, contract_values(contract), strict=True))  # strict: one value per column


def test_each_value_is_written_under_its_own_column() -> None:
    # a distinct value for every field, so that two columns swapped in contract_values would show
    row = _row(_contract(
        dataset="data.gouv.fr_pes", nature="Marché", buyer_name="Ville", procedure="Appel d'offres ouvert",
        published=date(2025, 1, 2), duration_months=36, initial_amount=390000.0, place_code="34172",
        place_type="Code commune", departement="34", social=["clause", "reserved"], environmental=["Clause"],
        subcontracting_declared=False, grouping="Conjoint", framework_id="AC-7", warnings=["w"],
    ))  # fmt: skip
    assert row == {
        "uid": "2134012920001520242FO15-02", "id": "202424FO15-02", "source": "decp", "dataset": "data.gouv.fr_pes",
        "nature": "Marché", "buyer_siret": "21340129200015", "buyer_name": "Ville",
        "object": "FOURNITURE DE CARBURANT Lot 2", "cpv": "24321000", "procedure": "Appel d'offres ouvert",
        "notified": "2024-12-31", "published": "2025-01-02", "duration_months": 36, "amount": 400000.0,
        "initial_amount": 390000.0, "place_code": "34172", "place_type": "Code commune", "departement": "34",
        "social": '["clause", "reserved"]', "social_stated": 1, "social_clause": 1, "social_criterion": 0,
        "reserved": 1, "environmental": '["Clause"]', "subcontracting_declared": 0, "grouping": "Conjoint",
        "framework_id": "AC-7", "winners": 2, "warnings": '["w"]',
    }  # fmt: skip
    unstated = _row(_contract(social_stated=False))
    assert (unstated["social_stated"], unstated["social_clause"], unstated["social_criterion"]) == (0, None, None)
