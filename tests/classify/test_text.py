import pytest

from classify.text import fold, phrase_key, tokens


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("adaptées", "adapte"),
        ("Œuvre", "oeuvre"),
        ("travaux", "traval"),
        ("RESTAURATION", "restauration"),
        ("vélos", "velo"),
        ("nuitées", "nuitee"),
    ],
)
def test_fold_agrees_on_both_sides(a: str, b: str) -> None:
    assert fold(a) == fold(b)


def test_restaurant_and_restauration_stay_apart() -> None:
    assert fold("restaurant") != fold("restauration")


def test_apostrophes_and_function_words() -> None:
    assert phrase_key("portage de repas") == phrase_key("Portage des repas")
    assert phrase_key("clause d’insertion") == phrase_key("clause d'insertion") == (fold("clause"), "insertion")


def test_spans_point_into_the_original_text() -> None:
    toks = tokens("Accès PMR : mise en accessibilité")
    i = toks.keys.index(fold("accessibilité"))
    assert toks.span_text(i, i + 1) == "accessibilité"
    assert toks.span_text(0, 2) == "Accès PMR"
