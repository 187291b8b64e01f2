"""The weekly newsletter: golden files of each format for a fixed archive, selection, grouping, escaping."""

from __future__ import annotations

import copy
import io
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import docx
import pytest
from conftest import FIXTURES, SmtpSink, all_boamp_records, record

from archive.db import open_db
from archive.procedures import rebuild
from archive.store import Archive
from classify.archive_run import classify_archive
from classify.engine import Classifier
from classify.taxonomy import THEME_CODES as THEMES
from newsletter.content import Compiler, Filter, last_complete_week, parse_week, read_intro
from newsletter.render import render
from newsletter.run import mail_to_editors
from notices.boamp import parse_record
from notices.eforms_xml import tree_from_xml
from notices.ted import parse_search_notice
from settings import config as watch_config

GOLDEN = Path(__file__).resolve().parent / "golden"
LABELS = {
    "insertion_emploi": "Insertion et emploi",
    "dechets_chantier": "Déchets de chantier",
    "mobilite_verte": "Mobilité verte",
    "usages_ephemeres": "Usages éphémères",
    "efficacite_energetique": "Efficacité énergétique",
    "agriculture_proximite": "Agriculture de proximité",
    "restauration_solidaire": "Restauration solidaire",
    "accessibilite_handicap": "Accessibilité et handicap",
    "tourisme_solidaire": "Tourisme solidaire",
    "surete_equipements": "Sûreté des équipements",
}


def archive(tmp_path: Path, extra: list[dict] | None = None) -> Archive:
    a = Archive(open_db(tmp_path / "n.db"))
    notices = [parse_record(r) for r in all_boamp_records() + (extra or [])]
    ted = json.loads((FIXTURES / "ted" / "mattahr_ha-edp-radar__real_notices.EXCERPT.json").read_text())
    notices += [parse_search_notice(n) for n in ted]
    xml = (FIXTURES / "ted" / "cn_24_maximal.xml").read_bytes()  # res-pub-ser, published in week 2026-W37
    notices.append(
        parse_search_notice(
            {"publication-number": "626999-2026", "publication-date": "2026-09-10+02:00"}, xml_tree=tree_from_xml(xml)
        )
    )
    a.upsert_notices(notices)
    rebuild(a.db, now=datetime(2026, 9, 14, tzinfo=UTC))
    classify_archive(a.db, Classifier())
    return a


def compile_week(a: Archive, week: str, intro: list[str] | None = None, **flt):
    return Compiler(a.db, Filter(themes=flt.pop("themes", list(THEMES)), **flt), LABELS).compile(week, intro or [])


def docx_outline(data: bytes) -> list[list[str]]:
    return [[p.style.name, p.text] for p in docx.Document(io.BytesIO(data)).paragraphs]


@pytest.mark.parametrize("week", ["2026-W37", "2026-W34"])
def test_golden_files(tmp_path: Path, week: str) -> None:
    a = archive(tmp_path)
    issue = compile_week(a, week, intro=["Une semaine riche pour les structures de l'insertion."])
    for fmt in ("html", "md", "txt"):
        got = render(issue, fmt)
        path = GOLDEN / f"{week}.{fmt}"
        if os.environ.get("UPDATE_GOLDEN"):
            path.write_bytes(got)
        assert got == path.read_bytes(), f"{path.name} differs (UPDATE_GOLDEN=1 to accept a deliberate change)"
    outline = docx_outline(render(issue, "docx"))
    path = GOLDEN / f"{week}.docx.json"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(json.dumps(outline, ensure_ascii=False, indent=1), encoding="utf-8")
    assert outline == json.loads(path.read_text(encoding="utf-8"))


def test_same_archive_and_week_give_the_same_bytes(tmp_path: Path) -> None:
    a = archive(tmp_path)
    first = {fmt: render(compile_week(a, "2026-W37"), fmt) for fmt in ("html", "md", "docx", "txt")}
    second = {fmt: render(compile_week(a, "2026-W37"), fmt) for fmt in ("html", "md", "docx", "txt")}
    assert first == second


def test_docx_has_real_headings_and_lists(tmp_path: Path) -> None:
    styles = {s for s, _ in docx_outline(render(compile_week(archive(tmp_path), "2026-W37"), "docx"))}
    assert {"Title", "Heading 1", "Heading 2", "Heading 3", "List Bullet"} <= styles


def test_selection_grouping_and_empty_sections(tmp_path: Path) -> None:
    a = archive(tmp_path)
    issue = compile_week(a, "2026-W37")
    keys = [s.key for s in issue.sections]
    # no prior information, no results, no deadline next week: left out; the one corrigendum of the week (a
    # cleaning contract for premises that include hotel rooms) is in no theme and has no flag: left out too
    assert keys == ["new"]
    assert [g for g, _ in issue.sections[0].groups] == ["Agriculture de proximité", "Sûreté des équipements"]
    titles = [e.title for s in issue.sections for _, es in s.groups for e in es]
    assert not any("Kontrakt" in t for t in titles)  # no theme, no flag: left out
    food = compile_week(a, "2026-W37", themes=["agriculture_proximite"])
    # outside the filtered themes but reserved (BT-71 res-pub-ser): kept for its flag, in its own group
    assert [g for g, _ in food.sections[0].groups] == ["Agriculture de proximité", "Autres marchés signalés"]
    only_food = compile_week(a, "2026-W37", themes=["agriculture_proximite"], social_flags=False)
    assert [g for s in only_food.sections for g, _ in s.groups] == ["Agriculture de proximité"]


def test_results_put_ess_winners_first(tmp_path: Path) -> None:
    award = copy.deepcopy(record("26-80528"))
    award.update(idweb="26-80529", titulaire=["ESAT Les Ateliers du Soleil"], objet="Gardiennage des locaux")
    donnees = json.loads(award["donnees"])
    donnees["MAPA"]["attribution"]["attribution"]["resultat"]["attribue"]["titulaire"]["PersonneMorale"] = (
        "ESAT Les Ateliers du Soleil"
    )
    donnees["MAPA"]["attribution"]["descriptionReduite"]["objet"] = "Gardiennage des locaux"
    award["donnees"] = json.dumps(donnees)
    other = copy.deepcopy(award)
    other.update(idweb="26-80530", annonce_lie=["26-99999"])
    donnees["MAPA"]["attribution"]["attribution"]["resultat"]["attribue"]["titulaire"]["PersonneMorale"] = "ACME SA"
    donnees["MAPA"]["attribution"]["avisInitial"]["idWeb"] = "26-99998"
    other["donnees"] = json.dumps(donnees)
    a = archive(tmp_path, [other, award])
    results = next(s for s in compile_week(a, "2026-W33").sections if s.key == "results")
    winners = [w for _, es in results.groups for e in es for w in e.winners]
    assert winners[0].name == "ESAT Les Ateliers du Soleil" and winners[0].ess


def test_hostile_text_is_escaped(tmp_path: Path) -> None:
    hostile = copy.deepcopy(record("26-85090"))
    hostile.update(idweb="26-85091", contractfolderid="x-1")
    hostile["donnees"] = hostile["donnees"].replace(
        "Prestations de transport de personnes en autocar avec chauffeur",
        "<script>alert(1)</script> Gardiennage [lien](javascript:alert(1)) **gras**",
    )
    a = archive(tmp_path, [hostile])
    issue = compile_week(a, "2026-W36")
    html = render(issue, "html").decode()
    md = render(issue, "md").decode()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "\\<script\\>" in md and "\\[lien\\]\\(javascript:alert\\(1\\)\\)" in md and "\\*\\*gras\\*\\*" in md


def test_editorial_intro_is_picked_up(tmp_path: Path) -> None:
    (tmp_path / "2026-W37.md").write_text("Premier paragraphe\nsur deux lignes.\n\nSecond <b>paragraphe</b>.\n")
    intro = read_intro(tmp_path, "2026-W37")
    assert intro == ["Premier paragraphe sur deux lignes.", "Second <b>paragraphe</b>."]
    html = render(compile_week(archive(tmp_path), "2026-W37", intro=intro), "html").decode()
    assert "Premier paragraphe sur deux lignes." in html and "Second &lt;b&gt;paragraphe&lt;/b&gt;." in html
    assert read_intro(tmp_path, "2026-W38") == []


def test_weeks() -> None:
    assert parse_week("2026-W49")[0].isoformat() == "2026-11-30"
    assert last_complete_week(datetime(2026, 11, 29).date()) == "2026-W47"  # a Sunday: W48 is not over
    assert last_complete_week(datetime(2026, 11, 30).date()) == "2026-W48"
    with pytest.raises(ValueError, match="ISO week"):
        parse_week("2026-49")


def test_the_draft_is_mailed_to_the_editors_with_its_docx(tmp_path: Path, smtp: SmtpSink) -> None:
    archive(tmp_path).db.close()
    (tmp_path / "c.yaml").write_text(
        "newsletter:\n  editors: [redaction@example.org]\n  out_dir: out\n  intro_dir: intro\n", encoding="utf-8"
    )
    env = {"WATCH_DB": str(tmp_path / "n.db"), "WATCH_SMTP_URL": smtp.url}
    config = watch_config.load(tmp_path / "c.yaml", env=env)
    assert mail_to_editors(config, "2026-W37") == 1
    [(sender, rcpt, msg)] = smtp.messages
    assert (sender, rcpt) == ("veille@example.org", ["redaction@example.org"])
    assert msg["Subject"].startswith("Brouillon : ") and "\n" not in msg["Subject"]
    assert msg["Message-ID"].endswith("@example.org>") and "newsletter" in msg["Message-ID"]
    assert msg["List-Unsubscribe"] is None  # the editors' draft is no list mail
    html = msg.get_body(preferencelist=("html",)).get_content().replace("\r\n", "\n")
    assert html.rstrip("\n") == (tmp_path / "out" / "newsletter-2026-W37.html").read_text(encoding="utf-8").rstrip("\n")
    [docx_part] = list(msg.iter_attachments())
    assert docx_part.get_filename() == "newsletter-2026-W37.docx"
    assert docx_part.get_content() == (tmp_path / "out" / "newsletter-2026-W37.docx").read_bytes()
