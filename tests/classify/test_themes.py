"""Theme classification: typical and tricky cases of each theme, evidence, fields, codes."""

from __future__ import annotations

import pytest

from classify.engine import Classifier, ClassifyInput

CASES = [
    # (title, expected themes)
    ("Actions de formation des demandeurs d'emploi", {"insertion_emploi"}),
    ("Accompagnement socioprofessionnel des bénéficiaires du RSA", {"insertion_emploi"}),
    ("Insertion publicitaire dans la presse régionale", set()),
    ("Travaux de démolition et de désamiantage de l'ancienne école", {"dechets_chantier"}),
    ("Collecte des ordures ménagères et location de bennes", set()),
    ("Fourniture de vélos à assistance électrique", {"mobilite_verte"}),
    ("Fourniture de carburants pour les véhicules municipaux", set()),
    ("Location de tentes et chapiteaux pour les manifestations estivales", {"usages_ephemeres"}),
    ("Appel à manifestation d'intérêt pour l'occupation du domaine public", set()),
    ("Travaux de rénovation énergétique et isolation thermique du gymnase", {"efficacite_energetique"}),
    ("Fourniture et acheminement d'électricité", set()),
    ("Fourniture de fruits et légumes frais issus de l'agriculture biologique", {"agriculture_proximite"}),
    ("Entretien des espaces verts et élagage", set()),
    ("Fourniture de repas en liaison froide pour la restauration scolaire", {"restauration_solidaire"}),
    ("Restauration de la façade et de la toiture de l'église Saint-Pierre", set()),
    ("Titres restaurant dématérialisés pour le personnel", set()),
    ("Travaux de mise en accessibilité PMR de la mairie", {"accessibilite_handicap"}),
    ("Transport scolaire des élèves en situation de handicap", {"accessibilite_handicap"}),
    ("Maintenance des ascenseurs", set()),
    ("Organisation des séjours de vacances pour les enfants", {"tourisme_solidaire"}),
    ("Hébergement et maintenance du site internet", set()),
    ("Travaux de rénovation de l'hôtel de ville", set()),
    ("Prestations de gardiennage et de surveillance des bâtiments", {"surete_equipements"}),
    ("Audit de cybersécurité du système d'information", set()),
    ("Mission de coordination SPS pour la démolition du gymnase", set()),
    ("Maintenance des extincteurs et du désenfumage", {"surete_equipements"}),
]


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier()


def themes(classifier: Classifier, **fields) -> set[str]:
    return {t["code"] for t in classifier.classify(ClassifyInput(id="t", **fields))["themes"]}


@pytest.mark.parametrize(("title", "expected"), CASES)
def test_typical_and_tricky_titles(classifier: Classifier, title: str, expected: set[str]) -> None:
    assert themes(classifier, title=title) == expected


def test_typos_and_inflections_are_matched_fuzzily_with_lower_weight(classifier: Classifier) -> None:
    result = classifier.classify(ClassifyInput(id="t", title="Prestations de gardienage des batiments"))
    (theme,) = result["themes"]
    assert theme["code"] == "surete_equipements"
    assert theme["evidence"][0]["match"] == "fuzzy" and theme["evidence"][0]["text"] == "gardienage"
    assert themes(classifier, title="Acquisition de vélos cargos électriques") == {"mobilite_verte"}


def test_known_words_are_not_corrected(classifier: Classifier) -> None:
    # "traiter" is a real word one letter from "traiteur": it must not make a catering notice
    assert themes(classifier, title="Prestations pour traiter les boues de la station") == set()


def test_evidence_names_phrase_field_and_original_text(classifier: Classifier) -> None:
    result = classifier.classify(
        ClassifyInput(id="t", title="Prestations de TRAITEUR pour les réceptions", cpv=["55520000"])
    )
    (theme,) = result["themes"]
    assert theme["code"] == "restauration_solidaire" and theme["score"] == 2.0
    title = next(e for e in theme["evidence"] if e["field"] == "title")
    assert "TRAITEUR" in title["text"] and title["match"] == "exact" and title["weight"] == 1.0
    assert {"field": "cpv", "code": "55520000", "rule": "5552", "weight": 1.0} in theme["evidence"]


def test_description_alone_is_weaker_than_title(classifier: Classifier) -> None:
    assert themes(classifier, title="Marché de services", description="dont une prestation traiteur") == set()
    assert themes(
        classifier, title="Marché de services", description="dont une prestation traiteur", cpv=["55520000"]
    ) == {"restauration_solidaire"}


def test_descriptors_by_code_or_label(classifier: Classifier) -> None:
    assert themes(classifier, title="Lot 3", descriptor_codes=["304"]) == {"restauration_solidaire"}
    assert themes(classifier, title="Lot 3", descriptor_labels=["Repas, traiteur"]) == {"restauration_solidaire"}
    # the fitted weights (classify/weights.yaml) make a security descriptor alone too weak to decide
    assert themes(classifier, title="Lot 3", descriptor_codes=["138"]) == set()
    assert themes(classifier, title="Gardiennage", descriptor_codes=["138"]) == {"surete_equipements"}


def test_lots_count_between_title_and_description(classifier: Classifier) -> None:
    assert themes(classifier, title="Travaux divers", lots=["Lot 2 : désamiantage"]) == set()  # 0.8 < 0.9
    assert themes(classifier, title="Travaux divers", lots=["Lot 2 : désamiantage"], cpv=["45262660"]) == {
        "dechets_chantier"
    }


def test_the_fuzzy_guard_is_cached_under_a_key_of_its_inputs(tmp_path, monkeypatch) -> None:
    from classify.engine import load_known_words

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    words = tmp_path / "known_words.txt"
    words.write_text("# corpus words\nzorglub\n", encoding="utf-8")
    load_known_words.cache_clear()
    built = load_known_words(words)
    (cached,) = (tmp_path / "cache" / "ess-tender-watch").glob("known-words-*.txt")
    assert "zorglub" in built and len(built) > 100_000  # the corpus words and both dictionaries
    load_known_words.cache_clear()
    assert load_known_words(words) == built  # read back from the cache
    cached.write_text("cut short", encoding="utf-8")  # a truncated cache is not trusted
    load_known_words.cache_clear()
    assert load_known_words(words) == built
    words.write_text("# corpus words\nbidulon\n", encoding="utf-8")  # another input, another key
    load_known_words.cache_clear()
    changed = load_known_words(words)
    assert "bidulon" in changed and "zorglub" not in changed
    assert len(list((tmp_path / "cache" / "ess-tender-watch").glob("known-words-*.txt"))) == 2
    load_known_words.cache_clear()
