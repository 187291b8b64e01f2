"""DECP formats onto Contract: the real samples (2.0-shaped JSON, 2019 JSON, the flattened 2024 CSV) and the
consolidated tabular file's rules (no public sample exists: see test_tabular_* docstrings)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest
from conftest import FIXTURES

from notices.checks import RecordError
from notices.contracts import Contract
from notices.decp import (
    Problem,
    contract_from_json,
    detect_format,
    place_departement,
    read_contracts,
    social_considerations,
    string_list,
)

DECP = FIXTURES / "decp"


def read(path: Path | bytes) -> list[Contract | Problem]:
    data = path if isinstance(path, bytes) else path.read_bytes()
    return list(read_contracts(io.BytesIO(data)))


def by_id(items: list[Contract | Problem]) -> dict[str, Contract]:
    return {c.id: c for c in items if isinstance(c, Contract)}


def test_the_2022_json_sample_co_holders_tva_modifications_and_traps() -> None:
    contracts = by_id(read(DECP / "decp_test_2022.json"))
    assert len(contracts) == 5
    reunion = contracts["2022VI2022.242"]
    assert reunion.uid == "219740222000192022VI2022.242"  # buyer SIRET + id: no uid in the 2.0 format
    assert [(w.id, w.id_type, w.siren) for w in reunion.winners] == [
        ("12345678900023", "SIRET", "123456789"),
        ("99999999999", "TVA", None),  # a TVA holder has no SIREN
    ]
    assert reunion.departement == "974" and reunion.cpv == "45316110"  # DOM postal code; check digit dropped
    assert reunion.social == [] and reunion.social_stated  # "Pas de considération sociale": stated none
    assert reunion.duration_months is None  # "NC"
    assert reunion.subcontracting_declared is True and reunion.framework_id == "2023-122455T"
    # an absurd amount is set aside with a warning; the amount of the last modification that sets one wins
    limoges = contracts["2020F00075"]
    assert limoges.initial_amount is None and any("1e+17" in w for w in limoges.warnings)
    assert [m.amount for m in limoges.modifications] == [1.0, 22545.0, 22540.0, None]
    assert limoges.amount == 22540.0  # modification 3 is the last that sets an amount
    facades = contracts["202401L04"]
    assert facades.initial_amount == 127835.12 and facades.amount == 124557.46
    assert [m.id for m in facades.modifications] == ["1", "2"]
    assert [w.id for w in facades.winners] == ["81223513300026", "98756638100011"]  # holders changed
    assert facades.published is None and "before notification" in facades.warnings[0]  # 2003 < 2024
    lyon = contracts["2019K1209"]
    assert lyon.departement == "69"  # Code commune 69123
    assert len(lyon.winners) == 3  # one flat holder among wrapped ones
    assert any("'typeIdentifiant' is not a holder record" in w for w in lyon.warnings)
    social = contracts["202207LOT03"]
    assert social.social == ["criterion", "clause"] and social.social_stated


def test_the_2019_json_shape_acheteur_dot_id_named_holders_and_nested_modification_holders() -> None:
    contracts = by_id(read(DECP / "decp_test_2019.json"))
    first = contracts["2019_83935401"]
    assert first.uid == "21500222100012202183935401"  # the file's own uid is kept
    assert first.buyer_siret == "21500222100012" and first.dataset == "e-marchespublics"
    assert first.winners[0].name == "AMC FOLLIOT"
    assert first.amount == 79237.0 and first.initial_amount == 77899.0
    assert not first.social_stated and first.social == []  # nothing said: unknown, not "none"
    second = contracts["2019-VI2022.242"]
    assert [(w.id, w.name) for w in second.winners] == [("34027049500021", "FFF"), ("1111111111", "ABC")]


def test_the_flattened_2024_csv_cdl_mq_python_lists_tva_and_mislabelled_places() -> None:
    contracts = by_id(read(DECP / "decp_v3_2024_9rows_decp-processing.csv"))
    assert len(contracts) == 9
    assert all(len(c.winners) == 1 for c in contracts.values())  # CDL holders 2 and 3: empty
    charpente = contracts["24-1065297-2"]
    assert charpente.social == ["clause"] and charpente.social_stated
    assert charpente.environmental == ["Critère environnemental", "Clause environnementale"]
    assert charpente.subcontracting_declared is False and charpente.departement == "57"
    tableau = contracts["202404"]
    assert tableau.subcontracting_declared is None  # CDL
    assert tableau.departement == "83" and tableau.place_type == "Code département"
    bornes = contracts["2024FCS05_1"]
    assert (bornes.winners[0].id, bornes.winners[0].id_type, bornes.winners[0].siren) == ("FR32918951849", "TVA", None)
    assert bornes.object.startswith("EXPLOITATION ET MAINTENANCE D\u2019INFRASTRUCTURES")  # &#8217; unescaped
    assert bornes.departement == "50" and "labelled 'Code département'" in bornes.warnings[0]
    assert contracts["INX 2023AOVOI40 L1"].cpv == "67151000"  # "INX 67151000-0"
    assert contracts["202424FO15-02"].amount == 400000.0 and contracts["202424FO15-02"].notified == date(2024, 12, 31)
    assert sum(c.amount for c in contracts.values()) == pytest.approx(2073154.87)


def test_list_fields_in_every_shape_and_the_sans_objet_trap() -> None:
    assert string_list({"considerationSociale": ["Clause sociale", "Marché réservé"]}) == [
        "Clause sociale",
        "Marché réservé",
    ]
    assert string_list("['Clause sociale', 'Critère social']") == ["Clause sociale", "Critère social"]
    assert string_list("Clause sociale, Critère social") == ["Clause sociale", "Critère social"]  # tabular file
    assert string_list("['Sans objet']") is None and string_list("Sans objet") is None
    assert string_list("CDL") is None and string_list("MQ") is None and string_list("") is None
    warnings: list[str] = []
    assert social_considerations("Marché réservé, Clause sociale", warnings) == (["reserved", "clause"], True)
    assert social_considerations("Pas de considération sociale", warnings) == ([], True)
    assert social_considerations(None, warnings) == ([], False)
    assert social_considerations("['Sans objet']", warnings) == ([], False)
    assert social_considerations(["Clause sociale", "Autre chose"], warnings) == (["clause"], True)
    assert warnings == ["social consideration 'Autre chose' is not a known value: ignored"]


@pytest.mark.parametrize(
    ("code", "kind", "expected"),
    [
        ("75011", "Code postal", "75"),
        ("20000", "Code postal", "2A"),
        ("20600", "Code postal", "2B"),
        ("97430", "Code postal", "974"),
        ("2B002", "Code commune", "2B"),
        ("97411", "Code commune", "974"),
        ("69123", "Code commune", "69"),
        ("2A", "Code département", "2A"),
        ("971", "Code département", "971"),
        ("5", "Code département", "05"),
        ("11", "Code région", None),
        ("FR", "Code pays", None),
        ("751", "Code arrondissement", "75"),
        (None, "Code postal", None),
    ],
)
def test_departement_from_the_place_of_performance(code: str | None, kind: str, expected: str | None) -> None:
    assert place_departement(code, kind, []) == expected


def test_impossible_values_are_set_aside_and_a_record_without_identity_is_refused() -> None:
    record = json.loads((DECP / "decp_test_2022.json").read_text())["marches"]["marche"][4]
    record.update(montant=-5, dateNotification="2022-02-30", dureeMois=-3, acheteur={"id": "2150"})
    contract = contract_from_json(record)
    assert contract.amount == 49599.25  # the modification's amount still applies
    assert contract.initial_amount is None and contract.notified is None and contract.duration_months is None
    assert contract.buyer_siret is None and contract.uid == "2150202207LOT03"
    assert len(contract.warnings) == 4
    with pytest.raises(RecordError, match="no contract id"):
        contract_from_json({"acheteur": {"id": "21500222100012"}})
    with pytest.raises(RecordError, match="no buyer id"):
        contract_from_json({"id": "X1"})
    with pytest.raises(RecordError, match="not a single id"):
        contract_from_json({"id": ["a", "b"], "acheteur": {"id": "21500222100012"}})


def test_a_truncated_json_keeps_the_records_before_the_cut_and_says_where() -> None:
    body = (DECP / "decp_test_2022.json").read_bytes()
    items = read(body[: body.index(b'"id": "2019K1209"') + 10])
    assert len([c for c in items if isinstance(c, Contract)]) == 3
    problem = items[-1]
    assert isinstance(problem, Problem) and problem.whole_file and "record 4 is not valid JSON" in problem.reason


def test_a_record_that_is_not_an_object_is_one_problem_and_the_stream_goes_on() -> None:
    items = read(b'{"marches": {"marche": [42, {"id": "A1", "acheteur": {"id": "21500222100012"}}, {"id": "A2"}]}}')
    assert isinstance(items[0], Problem) and "JSON int" in items[0].reason and not items[0].whole_file
    assert isinstance(items[1], Contract) and items[1].uid == "21500222100012A1"
    assert isinstance(items[2], Problem) and "no buyer id" in items[2].reason and items[2].record_id == "A2"


def test_json_records_are_read_across_chunk_boundaries(monkeypatch: pytest.MonkeyPatch) -> None:
    import notices.decp

    monkeypatch.setattr(notices.decp, "CHUNK", 64)
    assert len(by_id(read(DECP / "decp_test_2022.json"))) == 5


def test_formats_are_told_apart_from_the_first_bytes() -> None:
    assert detect_format(b'\xef\xbb\xbf{"marches"') == "json"
    assert detect_format((DECP / "decp_v3_2024_9rows_decp-processing.csv").read_bytes()[:500]) == "flat"
    assert detect_format(b"uid,id,nature,acheteur_id\n") == "tabular"
    with pytest.raises(RecordError, match="neither DECP JSON"):
        detect_format(b"<html><body>Maintenance</body></html>")


# -- the consolidated tabular file ----------------------------------------------------------------------
COLUMNS = [f["name"] for f in json.loads((DECP / "schema_base_decp_info.json").read_text())["fields"]]


def tabular(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS, extrasaction="raise")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row.get(c, "") for c in COLUMNS})
    return out.getvalue().encode()


# Values of the 2022 JSON sample's record "2022VI2022.242" (Réunion, two holders, one modification) and of
# the flattened CSV's "24-1065297-2", written as decp-processing's tabular file lays them out.
REUNION = {
    "uid": "219740222000192022VI2022.242",
    "id": "2022VI2022.242",
    "nature": "Marché",
    "acheteur_id": "21974022200019",
    "objet": "Eléctricité courant fort/courant faible lot no4",
    "codeCPV": "45316110",
    "procedure": "Appel d'offres ouvert",
    "techniques": "Accord-cadre, Concours",
    "modalitesExecution": "Sans objet",
    "considerationsSociales": "Clause sociale, Critère social",
    "considerationsEnvironnementales": "Pas de considération environnementale",
    "dureeMois": "12",
    "dateNotification": "2022-11-23",
    "datePublicationDonnees": "2022-12-05",
    "lieuExecution_code": "97430",
    "lieuExecution_typeCode": "Code postal",
    "sousTraitanceDeclaree": "true",
    "sourceDataset": "data.gouv.fr_aife",
}


def test_tabular_co_holders_and_modifications_make_one_contract_whose_amount_counts_once() -> None:
    """No public sample of the consolidated file exists (shared fixtures SOURCES.md, "not found"): these rows
    are built from its documented columns (schema_base_decp_info.json) with the values of a real record of the
    2022 JSON sample: two holders x (initial data + one modification) = four rows, the two of modification 1
    being the current data (donneesActuelles)."""
    rows = []
    for modification, amount, current in (("0", "137614.0", "false"), ("1", "150000.0", "true")):
        for holder, kind, name in (("12345678900023", "SIRET", "FFF"), ("99999999999", "TVA", "DEF")):
            rows.append(
                {
                    **REUNION,
                    "titulaire_id": holder,
                    "titulaire_typeIdentifiant": kind,
                    "titulaire_nom": name,
                    "montant": amount,
                    "modification_id": modification,
                    "donneesActuelles": current,
                    "dateNotification": "2022-11-23" if modification == "0" else "2023-04-24",
                }
            )
    contracts = [c for c in read(tabular(rows)) if isinstance(c, Contract)]
    assert len(contracts) == 1
    contract = contracts[0]
    assert contract.amount == 150000.0 and contract.initial_amount == 137614.0  # once, not 4 x 137,614
    assert [(w.id, w.id_type, w.name) for w in contract.winners] == [
        ("12345678900023", "SIRET", "FFF"),
        ("99999999999", "TVA", "DEF"),
    ]
    assert contract.notified == date(2022, 11, 23)  # the contract's date: its first notification
    assert [(m.id, m.amount, m.notified) for m in contract.modifications] == [("1", 150000.0, date(2023, 4, 24))]
    assert contract.social == ["clause", "criterion"] and contract.social_stated  # joined with ", "
    assert contract.departement == "974" and contract.dataset == "data.gouv.fr_aife"


def test_tabular_rows_without_current_flags_read_the_latest_modification_and_sans_objet_is_unknown() -> None:
    """Rows built from the documented columns with the values of the flattened CSV's real row "24-1065297-2"
    (no tabular sample exists); `donneesActuelles` left empty, social considerations "Sans objet"."""
    base = {
        "uid": "2000399490001724-1065297-2",
        "id": "24-1065297-2",
        "acheteur_id": "20003994900017",
        "objet": "Construction d'une déchèterie communautaire à Maizières-lès-Metz: Lot 2: Charpente bois",
        "codeCPV": "45210000-2",
        "titulaire_id": "81918510900025",
        "titulaire_typeIdentifiant": "SIRET",
        "considerationsSociales": "Sans objet",
        "lieuExecution_code": "57280",
        "lieuExecution_typeCode": "Code postal",
        "dateNotification": "2024-12-12",
    }
    rows = [
        {**base, "montant": "27364.0", "modification_id": "0"},
        {**base, "montant": "30100.0", "modification_id": "1"},
    ]
    other = {**base, "uid": "X", "id": "Y", "montant": "-3", "modification_id": "0"}  # an impossible amount
    contracts = by_id(read(tabular([*rows, other])))
    contract = contracts["24-1065297-2"]
    assert contract.amount == 30100.0 and contract.initial_amount == 27364.0 and len(contract.winners) == 1
    assert not contract.social_stated
    assert contracts["Y"].amount is None and "set aside" in contracts["Y"].warnings[0]


def test_tabular_rows_apart_in_the_file_and_numbers_that_lost_their_zeros(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows built from the documented columns with the values of the 2022 JSON sample's "202401L04" (buyer
    21030042200016, place 03120, a holder whose SIRET starts with 0 in the 2022 sample's record "2020F00075");
    the tabular file declares these columns as integers, so a reader may see them without their zeros."""
    import notices.decp

    monkeypatch.setattr(notices.decp, "PENDING_ROWS", 2)
    row = {
        "uid": "21030042200016202401L04",
        "id": "202401L04",
        "acheteur_id": "21030042200016",
        "objet": "Facades",
        "montant": "127835.12",
        "dateNotification": "2024-02-08",
        "titulaire_typeIdentifiant": "SIRET",
        "lieuExecution_code": "3120",
        "lieuExecution_typeCode": "Code postal",
        "donneesActuelles": "true",
    }
    others = [{**REUNION, "uid": f"U{i}", "id": f"I{i}", "montant": "1"} for i in range(5)]
    rows = [{**row, "titulaire_id": "5650171100115"}, *others, {**row, "titulaire_id": "48794607100015"}]
    contracts = [c for c in read(tabular(rows)) if isinstance(c, Contract) and c.id == "202401L04"]
    assert len(contracts) == 2  # the first reading, then the later rows, said
    assert contracts[0].winners[0].id == "05650171100115" and contracts[0].departement == "03"
    assert any("leading zeros restored" in w for w in contracts[0].warnings)
    assert "not together in the file" in contracts[1].warnings[-1]


def test_a_root_list_of_contracts_is_read_too() -> None:
    records = json.loads((DECP / "decp_test_2022.json").read_text())["marches"]["marche"]
    assert len(by_id(read(json.dumps(records).encode()))) == 5


def test_concessions_mixed_into_a_2019_list_are_not_read_as_contracts() -> None:
    data = json.loads((DECP / "decp_test_2019.json").read_text())
    data["marches"].append(
        {"_type": "Contrat de concession", "id": "C1", "autoriteConcedante": {"id": "21500222100012"},
         "concessionnaires": [{"id": "12345678900022"}], "valeurGlobale": 1000000}
    )  # fmt: skip
    items = read(json.dumps(data).encode())
    assert len(items) == 2 and all(isinstance(c, Contract) for c in items)


def test_a_buyer_siret_written_with_spaces_gives_the_plain_uid() -> None:
    contract = contract_from_json({"id": "A1", "acheteur": {"id": "214 400 209 00018"}})
    assert contract.uid == "21440020900018A1" and contract.buyer_siret == "21440020900018"


# -- the raw record is the source text, as read -----------------------------------------------------------
def test_a_json_record_keeps_its_exact_source_text_as_raw() -> None:
    body = (
        b'{"marches": {"marche": [ {"id": "A1",  "acheteur": {"id": "21500222100012"}, "objet": "\\u00e9t\\u00e9"} ]}}'
    )
    (contract,) = read(body)
    assert isinstance(contract, Contract)
    assert contract.raw == '{"id": "A1",  "acheteur": {"id": "21500222100012"}, "objet": "\\u00e9t\\u00e9"}'
    assert contract.raw_header is None and json.loads(contract.raw)["objet"] == "été"


def test_a_flat_csv_row_keeps_its_line_and_the_header_and_a_quoted_newline_stays_in_it() -> None:
    body = (
        "\ufefftitulaire_id_1;id;acheteur.id;objet;montant\r\n"
        "12345678900023;A1;21500222100012;Nettoyage;1000\r\n"
        "\r\n"
        '12345678900023;A2;21500222100012;"Espaces\r\nverts";2000\r\n'
    ).encode()
    first, second = (c for c in read(body) if isinstance(c, Contract))
    assert first.raw == "12345678900023;A1;21500222100012;Nettoyage;1000\r\n"
    assert second.raw == '12345678900023;A2;21500222100012;"Espaces\r\nverts";2000\r\n'  # not the blank line
    assert first.raw_header == second.raw_header == "titulaire_id_1;id;acheteur.id;objet;montant\r\n"  # no BOM
    header = next(csv.reader([first.raw_header], delimiter=";"))
    assert dict(zip(header, next(csv.reader([second.raw], delimiter=";")), strict=True))["objet"] == "Espaces\r\nverts"


def test_a_tabular_contract_keeps_its_lines_and_a_refused_row_keeps_its_column_names() -> None:
    rows = [{**REUNION, "titulaire_id": h, "titulaire_typeIdentifiant": "SIRET", "montant": "1"} for h in ("1", "2")]
    body = tabular(rows)
    (contract,) = (c for c in read(body) if isinstance(c, Contract))
    lines = body.decode().splitlines(keepends=True)
    assert contract.raw == "".join(lines[1:]) and contract.raw_header == lines[0]
    problem = read(tabular([{"objet": "sans identité"}]))[0]
    assert isinstance(problem, Problem) and json.loads(problem.raw)["objet"] == "sans identité"


def test_a_place_read_again_gives_its_warning_again() -> None:
    """The place lookup is cached; its warning must still reach every contract that names the place."""
    for _ in range(2):
        warnings: list[str] = []
        assert place_departement("75056", "Code département", warnings) == "75"
        assert warnings == ["place 75056 labelled 'Code département' is a commune or postal code"]
        warnings = []
        assert place_departement("ZZ", "Code commune", warnings) is None
        assert warnings == ["place 'ZZ' (Code commune) names no département"]
