import pytest

from notices import values as v


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2", "02"),
        ("02", "02"),
        ("2a", "2A"),
        ("2B", "2B"),
        ("974", "974"),
        ("75", "75"),
        ("0", None),
        ("123", None),
        ("Paris", None),
        (None, None),
    ],
)
def test_departement(raw, expected) -> None:
    assert v.departement(raw) == expected


@pytest.mark.parametrize(
    ("cp", "expected"), [("38926", "38"), ("20000", "2A"), ("20200", "2B"), ("97400", "974"), ("7500", None)]
)
def test_departement_from_postal_code(cp: str, expected: str | None) -> None:
    assert v.departement_from_postal_code(cp) == expected


def test_cpv_codes_normalised_and_unique() -> None:
    assert v.cpv_codes(["45432111-5", "45454000.", {"#text": "60112000"}, "45432111"]) == [
        "45432111",
        "45454000",
        "60112000",
    ]


@pytest.mark.parametrize(
    ("raw", "expected"), [("213400.41", 213400.41), ("1 234,56", 1234.56), ("-1", None), ("n/a", None)]
)
def test_amount(raw: str, expected: float | None) -> None:
    assert v.amount(raw) == expected


def test_tree_helpers_handle_dict_or_list_children() -> None:
    tree = {"LOTS": {"LOT": {"NUM": "1"}}}
    assert [lot["NUM"] for lot in v.get_all(tree, "LOTS", "LOT")] == ["1"]
    tree = {"LOTS": {"LOT": [{"NUM": "1"}, {"NUM": "2"}]}}
    assert [lot["NUM"] for lot in v.get_all(tree, "LOTS", "LOT")] == ["1", "2"]
    assert v.flag({"non": {"@xsi:type": "xs:string"}}) == "non"
    assert v.text([{"@languageID": "ENG", "#text": "Title"}, {"@languageID": "FRA", "#text": "Titre"}]) == "Titre"
