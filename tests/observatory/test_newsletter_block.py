"""The newsletter's "Observatoire" block: present in the week a quarter closes, in the four formats."""

from __future__ import annotations

import io
from pathlib import Path

import docx
from observatory_archive import make_archive

from archive.db import open_db
from newsletter.content import Compiler, Filter
from newsletter.render import render


def _issue(tmp_path: Path, week: str):  # noqa: ANN202
    with open_db(make_archive(tmp_path)) as db:
        return Compiler(db, Filter(themes=["insertion_emploi"]), {}).compile(week, [])


def test_the_block_of_the_week_a_quarter_closes(tmp_path: Path) -> None:
    # 2024-W40 runs from Monday 30 September: the third quarter closes on its first day. Q3 2024 holds S-003
    # alone: 1 contract, 300 € to an ESAT (ESS) -> 100 % to TPE/PME/ESS, 0 % unknown; no clause (0 of 1)
    issue = _issue(tmp_path, "2024-W40")
    block = issue.observatory
    assert block is not None and block.title == "Observatoire : 3e trimestre 2024"
    assert block.lines[0] == "1 marché attribué pour 300\u00a0€ HT."
    assert "100,0\u00a0% des montants (objectif de la charte : 25\u00a0%)" in block.lines[1]
    assert "titulaire inconnu pour 0,0\u00a0%" in block.lines[1]
    assert block.lines[2].startswith("Clause sociale d'insertion : 0,0\u00a0%")
    assert block.report == "observatory-2024-Q3.html"
    for fmt in ("html", "md", "txt"):
        text = render(issue, fmt).decode("utf-8")
        assert "3e trimestre 2024" in text.lower() and "observatory-2024-Q3.html" in text, fmt
    paragraphs = [p.text for p in docx.Document(io.BytesIO(render(issue, "docx"))).paragraphs]
    assert "Observatoire : 3e trimestre 2024" in paragraphs


def test_no_block_in_other_weeks(tmp_path: Path) -> None:
    assert _issue(tmp_path, "2024-W41").observatory is None
