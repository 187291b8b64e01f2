"""The observatory's Datasette views: the same figures as the report, by SQL over `observatory_contracts`."""

from __future__ import annotations

from pathlib import Path

from observatory_archive import make_archive

from analysts.metadata import TABLES
from analysts.observatory_views import VIEWS
from analysts.tables import prepare
from archive.db import open_db


def test_the_views_give_the_reports_figures(tmp_path: Path) -> None:
    with open_db(make_archive(tmp_path)) as db:
        prepare(db)
        # 8 awarded contracts in the archive (the 7 of 2024 and B1-005 of 2023), 24-100 counted as S-004
        assert db["observatory_contracts"].count == 8
        year = db.execute(
            "select sum(amount), sum(amount_charte), sum(amount_charte_unknown) from observatory_contracts"
            " where year = '2024'"
        ).fetchone()
        assert year == (1750, 1000, 650)  # see test_indicators: 57.1 % known, 37.1 % unknown
        june = db.execute(
            "select contracts, amount, share_amount_charte, share_amount_charte_unknown, share_number_clause"
            " from observatory_by_month where key = '2024-06'"
        ).fetchone()
        # the two lots of 24-200: 500 (Régie) + 250 (unknown) -> 66.7 % / 33.3 %; both with a clause -> 100 %
        assert june == (2, 750, 66.7, 33.3, 100.0)
        paris = db.execute(
            "select label, contracts, amount, share_amount_tpe_pme from observatory_by_buyer"
            " where key = '217500016' and year = '2024'"
        ).fetchone()
        assert paris == ("Ville de Paris", 2, 300, 66.7)  # B1-001 100 (TPE) + half of B1-002 (PME) = 200 of 300
        theme = db.execute(
            "select label, contracts from observatory_by_theme where key = 'insertion_emploi' and year = '2024'"
        ).fetchone()
        assert theme == ("Insertion et emploi", 3)
        dep = db.execute("select label, amount from observatory_by_departement where key = '93'").fetchone()
        assert dep == ("Seine-Saint-Denis", 700)
        for view in ("observatory_contracts", *VIEWS):
            assert set(TABLES[view]["columns"]) == {c.name for c in db[view].columns}, view
