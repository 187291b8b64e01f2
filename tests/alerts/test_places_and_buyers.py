"""Places and buyer names as a digest shows them, on the real values of the BOAMP and TED fixtures."""

from __future__ import annotations

import re

import pytest
from conftest import FIXTURES, record

from formatting.buyers import short_buyer
from formatting.places import DEPARTEMENTS, departement_label, departement_of_postal_code, place_label
from notices.boamp import parse_record
from notices.nuts import NUTS3


def test_every_departement_has_its_name() -> None:
    metropolitan = [f"{i:02d}" for i in range(1, 96) if i != 20] + ["2A", "2B"]
    overseas = ["971", "972", "973", "974", "976"]
    assert all(DEPARTEMENTS.get(code) for code in metropolitan + overseas)
    assert len(metropolitan + overseas) == 101
    assert departement_label("67") == "Bas-Rhin (67)" and departement_label("2A") == "Corse-du-Sud (2A)"


def test_the_names_agree_with_the_nuts_code_list() -> None:
    """Each French NUTS 3 region (the eForms code list) is a département of the same name."""
    codelist = (FIXTURES / "codelists" / "nuts_nuts-fra-lvl3.gc").read_text(encoding="utf-8")
    codes = set(re.findall(r"<SimpleValue>(FR[A-Z0-9]{3})</SimpleValue>", codelist))
    assert len(codes & set(NUTS3)) >= 96, "the code list lists the NUTS 3 codes of France"
    for nuts in codes & set(NUTS3):
        dep, name = NUTS3[nuts]
        assert DEPARTEMENTS[dep].replace("'", "’") == name.replace("'", "’"), nuts


@pytest.mark.parametrize(
    ("idweb", "expected"),
    [
        ("26-80922", "Paris (75)"),  # no place stated: the buyer's town, in the département of performance
        ("24-76932", "Orange (84)"),  # "ORANGE"
        ("25-123573", "Soisy-sous-Montmorency (95)"),  # "SOISY-SOUS-MONTMORENCY"
        ("26-7109", "Levallois Perret (92)"),  # "41 rue Camille Pelletan 92300 - LEVALLOIS PERRET"
        ("26-81190", "Chaumont (52)"),  # buyer in "CHAUMONT Cedex"
        ("BWP06184060013B", "Haut-Rhin (68)"),  # buyer in Strasbourg, works in the Haut-Rhin: not "Strasbourg"
        ("15-31501", "Communes de Pléchatel et de Bain de Bretagne (35)"),
    ],
)
def test_boamp_places_read_as_a_town_and_a_departement(idweb: str, expected: str) -> None:
    n = parse_record(record(idweb))
    assert place_label(n.place, n.departements, city=n.buyer.city, postal_code=n.buyer.postal_code) == expected


def test_ted_places_from_nuts_codes() -> None:
    """TED gives the place as NUTS codes, turned into the département's name (notices/nuts.py)."""
    assert place_label("Seine-Maritime", ["76"]) == "Seine-Maritime (76)"
    assert place_label("Seine-Maritime", ["76"], city="Rouen Cedex 1", postal_code="76000") == "Rouen (76)"
    assert place_label("Strasbourg", ["67"]) == "Strasbourg (67)"  # an eForms place-of-performance city
    assert place_label(None, ["67"]) == "Bas-Rhin (67)"
    assert place_label(None, []) is None


def test_postal_codes() -> None:
    assert departement_of_postal_code("67010") == "67"
    assert departement_of_postal_code("20090") == "2A" and departement_of_postal_code("20200") == "2B"
    assert departement_of_postal_code("97400") == "974" and departement_of_postal_code("CA 9") is None


@pytest.mark.parametrize(
    ("idweb", "expected"),
    [
        ("26-80922", "EPPDCSI - UNIVERSCIENCE"),
        ("BXP06184000081U", "sem Ville Renouvelée"),  # "... agissant au nom et pour le compte de la Ville de Roubaix"
        ("26-7308", "URSSAF NORMANDIE"),  # nothing to cut
        ("24-76932", "Communauté de Communes Pays d'Orange en Provence (84)"),
    ],
)
def test_buyer_names_lose_their_legal_tail(idweb: str, expected: str) -> None:
    assert short_buyer(parse_record(record(idweb)).buyer.name) == expected


def test_buyer_rules() -> None:
    assert short_buyer("Ville de Lyon, 1 place de la Comédie 69001 Lyon") == "Ville de Lyon"
    assert short_buyer("Syndicat des eaux SIRET 123 456 789 00012") == "Syndicat des eaux"
    assert short_buyer("Commune de X représentée par son maire") == "Commune de X"
    assert short_buyer("Etablissement public du Grand Paris") == "Etablissement public du Grand Paris"  # not cut to ""
    assert short_buyer(None) is None
