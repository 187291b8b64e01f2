"""Subscriber validation names the row and the field; CSV import and export round-trip."""

from __future__ import annotations

from pathlib import Path

import pytest

from alerts import subscribers as subs
from archive.private import open_private

HEADER = "name,emails,kind,themes,departements,regions,national,keywords,frequency\n"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("A,bob@,EA,mobilite_verte,38,,no,,daily", r"row 3, emails: 'bob@' is not an e-mail address"),
        ("A,a@b.org,EA,velo,38,,no,,daily", r"row 3, themes: unknown theme 'velo'"),
        ("A,a@b.org,EA,mobilite_verte,99,,no,,daily", r"row 3, departements: unknown département '99'"),
        ("A,a@b.org,EA,mobilite_verte,,Atlantide,no,,daily", r"row 3, regions: unknown region 'Atlantide'"),
        ("A,a@b.org,SCOP,mobilite_verte,38,,no,,daily", r"row 3, kind: 'SCOP' is not one of"),
        ("A,a@b.org,EA,mobilite_verte,38,,no,,hourly", r"row 3, frequency"),
        ("A,a@b.org,EA,,38,,no,,daily", r"row 3, themes: give themes or keywords"),
        ("A,a@b.org,EA,mobilite_verte,,,no,,daily", r"row 3, departements: give départements, regions"),
    ],
)
def test_import_errors_name_row_and_field(tmp_path: Path, row: str, message: str) -> None:
    db = open_private(tmp_path / "s.db")
    with pytest.raises(subs.SubscriberError, match=message):
        subs.import_csv(db, HEADER + "Z,ok@b.org,EA,mobilite_verte,38,,no,,daily\n" + row + "\n")
    assert db["subscribers"].count == 0  # nothing written when one row is wrong


def test_import_export_round_trip_and_reimport_updates(tmp_path: Path) -> None:
    db = open_private(tmp_path / "s.db")
    text = (Path(__file__).resolve().parents[2] / "data" / "sample_subscribers.csv").read_text(encoding="utf-8")
    ids = subs.import_csv(db, text)
    assert len(ids) == len(text.strip().splitlines()) - 1  # one per row
    exported = subs.export_csv(subs.load_all(db))
    assert subs.import_csv(db, exported) == ids  # same names: updated, not duplicated
    paris = subs.get(db, "Régie de quartier Paris Est")
    assert paris.regions == ["11"] and "93" in paris.all_departements
    assert paris.emails == ["equipe@regie-paris-est.example.org", "bureau@regie-paris-est.example.org"]


def test_departement_codes_are_normalised() -> None:
    sub = subs.validate({"name": "x", "emails": "a@b.org", "themes": "mobilite_verte", "departements": "2a; 1; 974"})
    assert sub.departements == ["2A", "01", "974"]
