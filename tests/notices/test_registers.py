"""The companies register files: the real Sirene header and rows, the real ESS subset, the real SIAE fixture,
and the plain EA/ESAT list (no real one exists: built here from the documented header)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from conftest import FIXTURES

from notices.companies import Company
from notices.registers import RegisterError, RegisterStats, detect_kind, read_register, size_of

COMPANIES = FIXTURES / "companies"
HEADER = (COMPANIES / "sirene_stock_ul_header_3rows.csv").read_text(encoding="utf-8").splitlines()[0]


def read(data: bytes | Path, **kwargs: object) -> list[Company]:
    raw = data.read_bytes() if isinstance(data, Path) else data
    return list(read_register(io.BytesIO(raw), **kwargs))  # type: ignore[arg-type]


def sirene_row(**values: str) -> str:
    columns = HEADER.split(",")
    return ",".join(values.get(c, "") for c in columns)


def test_the_real_sirene_rows_pme_unknown_size_and_a_purged_unit() -> None:
    companies = {c.siren: c for c in read(COMPANIES / "sirene_stock_ul_header_3rows.csv")}
    assert detect_kind(HEADER.encode()) == "sirene"
    janoyer = companies["000325175"]
    assert janoyer.size == "PME"  # PME, headcount band empty: not made a TPE
    assert janoyer.ess is None  # empty ESS column: unknown
    assert janoyer.name == "THIERRY JANOYER" and janoyer.naf == "32.12Z" and janoyer.legal_category == "1000"
    assert companies["001807254"].size is None  # no categorieEntreprise: unknown
    purged = companies["005410220"]
    assert purged.name is None and purged.naf is None and purged.ess is None  # unitePurgee: nothing known


@pytest.mark.parametrize(
    ("category", "band", "size"),
    [
        ("PME", "NN", "TPE"),
        ("PME", "00", "TPE"),
        ("PME", "03", "TPE"),
        ("PME", "11", "PME"),
        ("PME", None, "PME"),
        ("ETI", "00", "ETI"),
        ("GE", "53", "GE"),
        (None, "00", None),  # a band alone says nothing of the category
        ("", "02", None),
    ],
)
def test_size_from_category_and_headcount(category: str | None, band: str | None, size: str | None) -> None:
    assert size_of(category, band) == size


def test_ess_flags_o_n_and_empty_and_tpe_in_a_built_stock() -> None:
    """Rows in the real stock's layout (its full header) with values of the real ESS subset: no real stock
    file mixing O, N and categorieEntreprise exists in the fixtures."""
    rows = [
        sirene_row(siren="100029172", denominationUniteLegale="JUNIOR ISEN-MEDITERANNEE",
                   economieSocialeSolidaireUniteLegale="O", categorieEntreprise="PME",
                   trancheEffectifsUniteLegale="NN"),
        sirene_row(siren="100070044", denominationUniteLegale="TEAM MOVE", economieSocialeSolidaireUniteLegale="N",
                   categorieEntreprise="PME", trancheEffectifsUniteLegale="12"),
        sirene_row(siren="12345", denominationUniteLegale="NOT A SIREN"),
    ]  # fmt: skip
    stats = RegisterStats()
    companies = list(read_register(io.BytesIO("\n".join([HEADER, *rows]).encode()), stats=stats))
    assert [(c.siren, c.ess, c.size) for c in companies] == [("100029172", True, "TPE"), ("100070044", False, "PME")]
    assert (stats.read, stats.skipped) == (2, 1)


def test_the_ess_subset_has_no_size_and_is_all_ess() -> None:
    companies = read(COMPANIES / "sirene_ul_ess_O_numerique_2026.csv")
    assert len(companies) == 3375
    assert all(c.ess is True and c.size is None for c in companies)  # no categorieEntreprise column
    assert companies[0].headcount_band == "NN" and companies[0].legal_category == "9220"
    assert detect_kind((COMPANIES / "sirene_ul_ess_O_numerique_2026.csv").read_bytes()[:300]) == "ess"


def test_the_siae_fixture_gives_kinds_by_siren_and_nothing_else() -> None:
    companies = read(COMPANIES / "lmi_siaes_fixture_subset.json")
    assert len(companies) == 303
    assert {c.inclusive_kind for c in companies} == {"EI", "ACI", "AI", "ETTI", "GEIQ", "EA"}
    first = companies[0]
    assert (first.siren, first.inclusive_kind, first.name) == ("807469317", "EI", "BALUCHON A TABLE CITOYENS")
    assert all(c.ess is None and c.size is None for c in companies)  # unknown stays unknown


def test_a_plain_list_of_ea_and_esat_with_siret_or_siren() -> None:
    text = "siret;kind;name\n80746931700018;ESAT;Esat des Lilas\n;EA;no id\n123456789;EA;By siren\n987654321;XX;?\n"
    stats = RegisterStats()
    companies = list(read_register(io.BytesIO(text.encode()), stats=stats))
    assert [(c.siren, c.inclusive_kind) for c in companies] == [("807469317", "ESAT"), ("123456789", "EA")]
    assert stats.skipped == 2
    assert read(b"siren,type\n123456789,eatt\n")[0].inclusive_kind == "EA"  # EATT counts as EA
    spelled = "SIRET;Type;Nom\n80746931700018;Entreprise adaptée;A\n"
    spelled += "80746931700019;Établissement et service d\u2019aide par le travail;B\n"
    assert [c.inclusive_kind for c in read(spelled.encode())] == ["EA", "ESAT"]
    assert read(spelled.encode())[0].name == "A"


def test_only_the_winners_are_kept_from_the_stock_but_lists_are_kept_whole() -> None:
    stock = COMPANIES / "sirene_ul_ess_O_numerique_2026.csv"
    stats = RegisterStats()
    kept = list(read_register(io.BytesIO(stock.read_bytes()), only={"100029172"}, stats=stats))
    assert [c.siren for c in kept] == ["100029172"] and stats.filtered == 3374
    siae = read(COMPANIES / "lmi_siaes_fixture_subset.json", only={"100029172"}, only_kinds=("sirene",))
    assert len(siae) == 303


def test_unknown_and_corrupt_files_are_refused_in_one_line() -> None:
    with pytest.raises(RegisterError, match="not a known register file"):
        read(b"a,b,c\n1,2,3\n")
    with pytest.raises(RegisterError, match="not valid JSON"):
        read(b'[{"model": "siaes.siae", "fields": {"siret": "8074')
