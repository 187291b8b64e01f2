"""The `observatory` command and its report: both files, French figures, traceable rows, hostile text."""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path

import pytest
from observatory_archive import make_archive

from archive.contracts import ContractStore
from archive.db import open_db
from notices.contracts import Contract, Winner
from watch.cli import main


@pytest.fixture
def archive_path(tmp_path: Path) -> Path:
    return make_archive(tmp_path)


def _config(tmp_path: Path, archive: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(
        f"archive:\n  path: {archive}\nobservatory:\n  out_dir: {tmp_path / 'out'}\nlogging:\n  file: ''\n",
        encoding="utf-8",
    )
    return path


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f, delimiter=";"))


def test_the_command_writes_both_files(tmp_path: Path, archive_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["observatory", "--config", str(_config(tmp_path, archive_path)), "--period", "2024"]) == 0
    out = tmp_path / "out"
    printed = capsys.readouterr().out.split()
    assert printed == [str(out / "observatory-2024.html"), str(out / "observatory-2024.csv")]
    html = (out / "observatory-2024.html").read_text(encoding="utf-8")
    # French figures: 1 750 € (narrow no-break space), 57,1 % of the amounts to TPE/PME/ESS, 37,1 % unknown
    assert "1\u202f750\u00a0€" in html
    assert "57,1\u00a0%" in html and "37,1\u00a0%" in html and "94,3\u00a0%" in html
    assert "objectif atteint" in html
    assert "ne sont pas publiées en données ouvertes" in html  # the insertion hours, said in words
    assert html.count("<svg") == 3  # by month, by theme, by buyer
    assert "<script" not in html.lower()
    rows = _csv(out / "observatory-2024.csv")
    assert len(rows) == 7  # one row per contract of 2024
    # the figures rebuild from the rows: amounts to the charter's beneficiaries, and the unknown part
    assert sum(float(r["montant_charte"]) for r in rows) == pytest.approx(1000)
    assert sum(float(r["montant_charte_inconnu"]) for r in rows) == pytest.approx(650)
    assert sum(float(r["montant"] or 0) for r in rows) == pytest.approx(1750)
    co = next(r for r in rows if r["cle"] == "decp:B1-002")
    assert (co["nb_titulaires"], co["montant_tpe_pme"], co["charte"]) == ("2", "100.00", "oui")


def test_the_event_scope_and_a_filter(tmp_path: Path, archive_path: Path) -> None:
    config = str(_config(tmp_path, archive_path))
    assert main(["observatory", "--config", config, "--period", "2024", "--scope", "paris2024", "--by", "month"]) == 0
    rows = _csv(tmp_path / "out" / "observatory-2024-paris2024.csv")
    assert sorted(r["cle"] for r in rows) == ["decp:S-003", "decp:S-004"]
    html = (tmp_path / "out" / "observatory-2024-paris2024.html").read_text(encoding="utf-8")
    assert "Détail par mois" in html and "août 2024" in html and "Paris 2024" in html
    assert main(["observatory", "--config", config, "--period", "2024-Q1", "--departement", "75"]) == 0
    assert [r["cle"] for r in _csv(tmp_path / "out" / "observatory-2024-Q1.csv")] == ["decp:B1-001"]


def test_bad_arguments_end_in_one_line(tmp_path: Path, archive_path: Path, capsys: pytest.CaptureFixture) -> None:
    config = str(_config(tmp_path, archive_path))
    assert main(["observatory", "--config", config, "--period", "2024-Q5"]) == 2
    assert capsys.readouterr().err.strip().endswith("expected 2024, 2024-Q3, 2024-07 or 2024-01-01..2024-06-30")
    assert main(["observatory", "--config", config, "--scope", "tokyo2020"]) == 2
    assert "unknown scope 'tokyo2020' (known: all, paris2024)" in capsys.readouterr().err


def test_hostile_text_is_escaped_and_only_http_links_kept(tmp_path: Path, archive_path: Path) -> None:
    db = open_db(archive_path)
    ContractStore(db).upsert_contracts(
        [
            Contract(
                uid="H-1",
                id="1",
                source="decp",
                buyer_name="<script>alert('x')</script>",
                buyer_siret="9" * 14,
                object='Objet <img src=x onerror=alert(1)> "quoted"',
                notified=date(2024, 4, 2),
                amount=10.0,
                winners=[Winner("99999999900027", "SIRET", "<b>Titulaire</b>")],
            ),
            Contract(uid="H-2", id="2", source="decp", object='=HYPERLINK("http://x")', notified=date(2024, 4, 3)),
        ]  # fmt: skip
    )
    db.close()
    assert main(["observatory", "--config", str(_config(tmp_path, archive_path)), "--period", "2024"]) == 0
    html = (tmp_path / "out" / "observatory-2024.html").read_text(encoding="utf-8")
    assert "<script" not in html and "<img" not in html and "<b>Titulaire" not in html
    assert "&lt;script&gt;" in html and "&lt;img src=x" in html
    links = re.findall(r'<a [^>]*href="([^"]*)"', html)
    assert links and all(link.startswith(("http://", "https://")) or link.endswith(".csv") for link in links)
    assert "https://www.boamp.fr/avis/detail/24-100" in links  # S-004's notice
    assert not any("javascript" in link for link in links)  # 24-200's url is javascript:: dropped
    assert "javascript:" not in html
    row = next(r for r in _csv(tmp_path / "out" / "observatory-2024.csv") if r["cle"] == "decp:H-2")
    assert row["objet"] == '\'=HYPERLINK("http://x")'  # not a formula in a spreadsheet


def test_without_any_amount_the_shares_are_by_number() -> None:
    """Award notices often give no amount: the report says the amounts cannot be measured and shows the
    shares by number (1 of 2 contracts won by a PME, 1 of 2 with an unknown holder)."""
    from observatory.filters import Selection, parse_period
    from observatory.records import Awarded, Holder
    from observatory.report import build_report, render_html

    records = [
        Awarded("boamp:1", "notice", "Ville", None, "Objet", "2024-03-01", "75", None,
                holders=[Holder("PME", "1" * 14, "1" * 9, 1.0, True, False, None, "PME")]),
        Awarded("boamp:2", "notice", "Ville", None, "Objet", "2024-04-01", "75", None,
                holders=[Holder("X", None, None, 1.0)]),
    ]  # fmt: skip
    report = build_report(records, Selection(parse_period("2024")), by="month", theme_labels={})
    assert report.by_number and report.indicators.charter.of_number == 0.5
    html = render_html(report)
    assert "Aucun des 2 marchés ne donne son montant" in html
    assert "Part des marchés (en nombre) aux TPE/PME et à l&#39;ESS, par mois" in html
    assert "objectif non mesurable sans montant" in html


def test_a_big_group_lists_its_largest_contracts_and_points_to_the_csv() -> None:
    from observatory.filters import Selection, parse_period
    from observatory.records import Awarded
    from observatory.report import build_report, render_html

    records = [Awarded(f"decp:{i}", "decp", "Ville", None, f"Objet {i}", "2024-03-01", "75", float(i))
               for i in range(1, 8)]  # fmt: skip
    report = build_report(records, Selection(parse_period("2024")), by="buyer", theme_labels={})
    report.list_limit, report.csv_name = 3, "observatory-2024.csv"
    html = render_html(report)
    assert "Les 3 plus gros marchés sur 7" in html
    assert all(f"Objet {i}<" in html for i in (7, 6, 5)) and "Objet 4<" not in html


def test_a_period_without_any_contract_says_so() -> None:
    from observatory.filters import Selection, parse_period
    from observatory.report import build_report, render_html

    html = render_html(build_report([], Selection(parse_period("2024-Q2")), by="theme", theme_labels={}))
    assert "Aucun marché attribué n'est connu pour cette période" in html
    assert "Qui remporte les marchés" not in html and "<svg" not in html and "Méthode" in html
