"""Taxonomy validation: errors name the file and the entry."""

from __future__ import annotations

from pathlib import Path

import pytest

from classify.taxonomy import DEFAULT_PATH, THEME_CODES, TaxonomyError, load

HEADER = "version: t\nthreshold: 0.9\nfields: {title: 1.0}\nthemes:\n"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tax.yaml"
    path.write_text(HEADER + text, encoding="utf-8")
    return path


def test_shipped_taxonomy_is_valid_and_has_the_ten_themes() -> None:
    tax = load(DEFAULT_PATH)
    assert [t.code for t in tax.themes] == list(THEME_CODES)
    assert tax.version.startswith("2026.12")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("  - code: sport\n    phrases: [stade]\n", r"themes\[0\]: unknown theme code 'sport'"),
        (
            "  - code: mobilite_verte\n    phrases: [velo, '  ']\n",
            r"themes\[0\] \(mobilite_verte\)\.phrases\[1\]: empty phrase",
        ),
        (
            "  - code: mobilite_verte\n    phrases: [velo]\n    cpv: [{prefix: '3443x'}]\n",
            r"themes\[0\] \(mobilite_verte\)\.cpv\[0\]: CPV prefix '3443x' must be 2 to 8 digits",
        ),
        ("  - code: mobilite_verte\n    phrases: [{phrase: velo, weight: -1}]\n", r"weight must be a number"),
        ("  - code: mobilite_verte\n    phrases: [velo]\n    colour: green\n", r"unknown key 'colour'"),
        (
            "  - code: mobilite_verte\n    phrases: [velo]\n  - code: mobilite_verte\n    phrases: [velo]\n",
            "defined twice",
        ),
    ],
)
def test_validation_errors(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(TaxonomyError, match=message) as err:
        load(path)
    assert str(path) in str(err.value)


def test_version_changes_with_content(tmp_path: Path) -> None:
    a = load(write(tmp_path, "  - code: mobilite_verte\n    phrases: [velo]\n")).version
    b = load(write(tmp_path, "  - code: mobilite_verte\n    phrases: [velo, cycle]\n")).version
    assert a != b and a.startswith("t+")
