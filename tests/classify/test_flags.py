"""Social flags from structured fields and from text, with negations and boilerplate."""

from __future__ import annotations

import pytest

from classify.engine import Classifier, ClassifyInput


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier()


def flags(classifier: Classifier, **fields) -> dict:
    return classifier.classify(ClassifyInput(id="t", **fields))["social"]


def test_structured_reserved_codes_and_kinds(classifier: Classifier) -> None:
    f = flags(
        classifier, title="x", signals=[{"signal": "reserved_procurement", "value": "res-ws", "where": "lot 1 BT-71"}]
    )
    assert f["reserved_contract"]["value"] and f["reserved_contract"]["kinds"] == ["ea_esat", "siae"]
    assert f["reserved_contract"]["evidence"][0]["field"] == "lot 1 BT-71"
    f = flags(classifier, title="x", signals=[{"signal": "reserved_procurement", "value": "res-pub-ser", "where": "w"}])
    assert f["reserved_contract"]["kinds"] == ["ess"]
    f = flags(classifier, title="x", signals=[{"signal": "reserved_execution", "value": "yes", "where": "BT-736"}])
    assert f["reserved_contract"]["kinds"] == ["ea_esat"]
    v230 = [{"signal": "reserved_procurement", "value": "ATELIERS_PROTEGES", "where": "MARCHE_RESERVE_OUI"}]
    assert flags(classifier, title="x", signals=v230)["reserved_contract"]["kinds"] == ["ea_esat"]


def test_structured_insertion_and_criterion(classifier: Classifier) -> None:
    f = flags(classifier, title="x", signals=[{"signal": "social_objective", "value": "opp", "where": "BT-775"}])
    assert f["insertion_clause"]["value"] and f["social_criterion"]["value"]
    f = flags(classifier, title="x", signals=[{"signal": "criteres_sociaux", "value": "sociaux", "where": "criteres"}])
    assert f["social_criterion"]["value"] and not f["insertion_clause"]["value"]


@pytest.mark.parametrize(
    ("notes", "reserved", "kinds"),
    [
        ("Marché réservé aux entreprises adaptées et aux ESAT (article L. 2113-12).", True, ["ea_esat"]),
        ("Le lot 2 est réservé aux structures d'insertion par l'activité économique.", True, ["siae"]),
        ("Marché réservé : non", False, []),
        ("Le marché n'est pas un marché réservé.", False, []),
        ("La prestation est réservée aux commissaires aux comptes inscrits.", False, []),
        ("Le candidat est en règle au regard de l'emploi des travailleurs handicapés (L. 5212-1).", False, []),
        ("Marché réservé.", True, ["unspecified"]),
    ],
)
def test_reserved_from_text(classifier: Classifier, notes: str, reserved: bool, kinds: list[str]) -> None:
    f = flags(classifier, title="Nettoyage des locaux", notes=notes)["reserved_contract"]
    assert f["value"] is reserved and f["kinds"] == kinds


@pytest.mark.parametrize(
    ("notes", "expected"),
    [
        ("Le marché comporte une clause sociale d'insertion : 350 heures d'insertion.", True),
        ("Le marché ne comporte pas de clause sociale.", False),
        ("Clause d'insertion : néant.", False),
        ("Aucune clause d'insertion n'est prévue. Variantes autorisées.", False),
        ("Conditions d'exécution : article L. 2112-2 du code de la commande publique.", True),
        ("Exécution favorisant l'insertion professionnelle des publics éloignés de l'emploi.", True),
    ],
)
def test_insertion_clause_from_text(classifier: Classifier, notes: str, expected: bool) -> None:
    assert flags(classifier, title="Travaux de voirie", notes=notes)["insertion_clause"]["value"] is expected


def test_insertion_words_in_a_title_are_a_theme_not_a_clause(classifier: Classifier) -> None:
    result = classifier.classify(ClassifyInput(id="t", title="Accompagnement à l'insertion professionnelle"))
    assert not result["social"]["insertion_clause"]["value"]
    assert [t["code"] for t in result["themes"]] == ["insertion_emploi"]


def test_social_criterion_from_award_criteria(classifier: Classifier) -> None:
    signals = [{"signal": "award_criterion", "value": "Performance en matière d'insertion (10 %)", "where": "BT-734"}]
    f = flags(classifier, title="x", signals=signals)["social_criterion"]
    assert f["value"] and f["evidence"][0]["field"] == "criteria"


def test_reserved_contract_is_not_an_accessibility_theme(classifier: Classifier) -> None:
    result = classifier.classify(
        ClassifyInput(
            id="t",
            title="Entretien des espaces verts réservé aux entreprises adaptées employant des travailleurs handicapés",
        )
    )
    assert result["themes"] == [] and result["social"]["reserved_contract"]["value"]
