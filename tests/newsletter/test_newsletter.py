"""The weekly newsletter: golden files of each format for a fixed archive, selection, grouping, escaping."""

from __future__ import annotations

import copy
import io
import json
import os
import re
import zipfile
from datetime import UTC, datetime
from html import unescape
from pathlib import Path

import docx
import pytest
from conftest import FIXTURES, SmtpSink, all_boamp_records, record
from lxml import etree
from markdown_it import MarkdownIt

from archive.db import open_db
from archive.procedures import rebuild
from archive.store import Archive
from archive.tenders import tenders_published
from classify.archive_run import classify_archive
from classify.engine import Classifier
from classify.taxonomy import THEME_CODES as THEMES
from newsletter.content import Compiler, Filter, last_complete_week, parse_week, read_intro, source_label
from newsletter.render import render
from newsletter.run import mail_to_editors
from notices.boamp import parse_record
from notices.eforms_xml import tree_from_xml
from notices.ted import parse_search_notice
from replay.boamp import corrigendum_of
from settings import config as watch_config

GOLDEN = Path(__file__).resolve().parent / "golden"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_SVG = re.compile(rb"<svg .*?</svg>", re.DOTALL)
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


def corrigendum(idweb: str, deadline: str, day: str, status: str = "RECTIFICATIF") -> dict:
    """A BOAMP corrigendum (or cancellation) of 26-7308 (published 2026-01-21, deadline 27 February at noon)."""
    return corrigendum_of(record("26-7308"), idweb, deadline, day, status)


MOVED = "date limite : vendredi 27 février 2026 à\u00a012\u00a0h → vendredi 13 mars 2026 à\u00a012\u00a0h"


def compile_week(a: Archive, week: str, intro: list[str] | None = None, **flt):
    return Compiler(a.db, Filter(themes=flt.pop("themes", list(THEMES)), **flt), LABELS).compile(week, intro or [])


def docx_outline(data: bytes) -> list[list[str]]:
    return [[p.style.name, p.text] for p in docx.Document(io.BytesIO(data)).paragraphs]


@pytest.mark.parametrize("week", ["2026-W37", "2026-W34"])
def test_golden_files(tmp_path: Path, week: str) -> None:
    a = archive(tmp_path)
    issue = compile_week(a, week, intro=["Une semaine riche pour les structures de l'insertion."])
    for fmt in ("html", "md", "txt"):
        got = _SVG.sub(b"<svg><!-- the chart: compared apart --></svg>", render(issue, fmt))
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
    keys = [s.key for s in issue.sections if s.groups]
    # no prior information, no results, no deadline next week: each says so in a line; the one corrigendum of the
    # week (a cleaning contract for premises that include hotel rooms) is in no theme and has no flag: left out
    assert keys == ["new"]
    assert [s.key for s in issue.sections] == ["new", "upcoming", "deadlines", "results", "changes"]
    assert all(s.empty.startswith("Aucun") for s in issue.sections)
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
    assert "\\<script\\>" in md and "\\[lien\\](javascript:alert(1))" in md and "\\*\\*gras\\*\\*" in md
    rendered = MarkdownIt("commonmark").render(md)
    assert "<script>" not in rendered and "&lt;script&gt;" in rendered
    assert "<strong>gras</strong>" not in rendered and 'href="javascript' not in rendered


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


def _texts(md: str) -> list[str]:
    """The text a CommonMark reader renders (inline text, code and raw HTML tokens)."""
    out = []
    for token in MarkdownIt("commonmark").parse(md):
        out += [child.content for child in token.children or [] if child.type in ("text", "code_inline", "html_inline")]
        if token.type in ("html_block", "code_block", "fence"):
            out.append(token.content)
    return out


def _listed_titles(issue) -> list[str]:
    return [e.title for e in issue.entries]


def test_key_figures_are_the_listed_items(tmp_path: Path) -> None:
    a = archive(tmp_path, [corrigendum("26-7400", "2026-03-13T12:00:00", "2026-01-25")])
    for week in ("2026-W37", "2026-W34", "2026-W04"):
        issue = compile_week(a, week)
        figures = dict(issue.figures)
        assert figures["Marchés présentés cette semaine"] == str(len(issue.entries))
        for label, value in issue.figures[1:-1]:  # one figure per theme: the entries listed under it
            assert value == str(sum((e.main_theme or "Autres marchés signalés") == label for e in issue.entries))
        assert sum(int(v) for _, v in issue.figures[1:-1]) == len(issue.entries)
        social = sum(e.social for e in issue.entries)
        assert issue.figures[-1][1].startswith(f"{social} (")
        assert issue.chart is not None and sum(r.week for r in issue.chart.rows) == len(issue.entries)
    w37 = compile_week(a, "2026-W37")
    assert dict(w37.figures)["Agriculture de proximité"] == "1"  # it used to count two notices of one tender
    assert dict(w37.figures)["Marchés présentés cette semaine"] == "2"


def test_an_empty_week_and_an_empty_section_say_so(tmp_path: Path) -> None:
    issue = compile_week(archive(tmp_path), "2026-W33")
    assert issue.entries == [] and issue.sections == [] and issue.chart is None
    assert issue.figures == [("Marchés présentés cette semaine", "0")]
    assert issue.title == "Marchés publics et ESS — semaine 33 de 2026"
    for fmt in ("html", "md", "txt"):
        text = unescape(render(issue, fmt).decode())
        assert "Aucun marché en lien avec l'ESS n'a été repéré cette semaine." in text
        assert "(0 %)" not in text
    assert "Aucun marché en lien avec l'ESS n'a été repéré cette semaine." in [
        t for _, t in docx_outline(render(issue, "docx"))
    ]
    w37 = compile_week(archive(tmp_path / "b"), "2026-W37")
    for fmt in ("html", "md", "txt"):
        text = unescape(render(w37, fmt).decode())
        assert "Aucun résultat d'attribution cette semaine." in text and "Aucun avis de pré-information" in text


def test_week_numbers_are_not_zero_padded(tmp_path: Path) -> None:
    issue = compile_week(archive(tmp_path), "2026-W04")
    assert issue.title == "Marchés publics et ESS — semaine 4 de 2026" and issue.number == 4


def test_a_corrigendum_says_what_changed_and_the_tender_appears_once(tmp_path: Path) -> None:
    # 26-7308 is published on 21 January and corrected on 25 January (same week): one entry, under the corrections
    a = archive(tmp_path, [corrigendum("26-7400", "2026-03-13T12:00:00", "2026-01-25")])
    issue = compile_week(a, "2026-W04")
    [entry] = issue.entries
    assert [s.key for s in issue.sections if s.entries] == ["changes"]
    assert entry.status == "corrigendum" and entry.status_label == "Rectifié"
    assert entry.changes == [MOVED]
    assert "À noter aussi : 1 rectificatif." in issue.intro[0]
    for fmt in ("html", "md", "txt"):
        text = unescape(render(issue, fmt).decode())
        assert MOVED in text and "Ce qui change" in text
        # listed once (the draft chapô names it too, between quotes)
        assert text.count("Prestations traiteurs pour l'URSSAF Normandie") - text.count("«\u00a0Prestations") == 1
    assert any(MOVED in t for _, t in docx_outline(render(issue, "docx")))


def test_a_cancellation_is_a_status_not_part_of_the_title(tmp_path: Path) -> None:
    cancelled = corrigendum("26-7401", "2026-02-27T12:00:00", "2026-01-24", status="ANNULATION")
    donnees = json.loads(cancelled["donnees"])  # as some buyers word it: the status glued to the title
    donnees["FNSimple"]["initial"]["natureMarche"]["intitule"] = (
        "Prestations traiteurs pour l'URSSAF Normandie (annulation)"
    )
    cancelled["donnees"] = json.dumps(donnees)
    a = archive(tmp_path, [cancelled])
    [notice] = [n for t in tenders_published(a.db, "2026-01-24", "2026-01-24") for n in t.notices]
    assert notice.title.endswith("(annulation)")
    issue = compile_week(a, "2026-W04")
    [entry] = issue.entries
    assert entry.title == "Prestations traiteurs pour l'URSSAF Normandie"
    assert entry.status == "cancellation" and entry.status_label == "Annulé"
    assert "annulation" not in entry.title.lower()
    assert "ANNULÉ" in render(issue, "md").decode() and "[ANNULÉ]" in render(issue, "txt").decode()
    assert ">Annulé</span>" in unescape(render(issue, "html").decode())
    assert "Statut : Annulé" in [t for _, t in docx_outline(render(issue, "docx"))]


def test_a_tender_appears_once_in_its_best_section(tmp_path: Path) -> None:
    a = archive(tmp_path, [corrigendum("26-7400", "2026-03-13T12:00:00", "2026-01-25")])
    for week in ("2026-W04", "2026-W37", "2026-W34", "2026-W08", "2026-W09"):
        keys = [e.key for e in compile_week(a, week).entries]
        assert len(keys) == len(set(keys)), week


def test_each_item_carries_its_source_and_publication_date(tmp_path: Path) -> None:
    a = archive(tmp_path, [corrigendum("26-7400", "2026-03-13T12:00:00", "2026-01-25")])
    for week in ("2026-W37", "2026-W34", "2026-W04"):
        issue = compile_week(a, week)
        outline = [t for _, t in docx_outline(render(issue, "docx"))]
        texts = {fmt: unescape(render(issue, fmt).decode()) for fmt in ("html", "md", "txt")}
        for e in issue.entries:
            assert e.source in ("BOAMP", "TED") and e.published
            assert e.provenance == f"{e.source}, publié le {e.published}"
            for fmt, text in texts.items():
                assert f"Source : {e.provenance}" in text, fmt
            assert f"Source : {e.provenance}" in outline
        for text in [*texts.values(), "\n".join(outline)]:
            assert "Sources : BOAMP, TED, APProch et profils d'acheteurs." in text


def test_source_names() -> None:
    assert [source_label(s) for s in ("boamp", "ted", "place", "maximilien", "achatpublic-93")] == [
        "BOAMP",
        "TED",
        "PLACE",
        "Maximilien",
        "achatpublic-93",
    ]


def test_the_draft_chapo_and_the_editors_intro(tmp_path: Path) -> None:
    a = archive(tmp_path)
    draft = compile_week(a, "2026-W37")
    assert draft.intro_draft and len(draft.intro) == 1
    chapo = draft.intro[0]
    assert chapo.startswith("Cette semaine, la veille a repéré 2 marchés en lien avec l'ESS, dont 1 réservé")
    assert "En tête : Agriculture de proximité (1) et Sûreté des équipements (1)." in chapo
    assert "Le plus important : «\u00a0Procurement Title ---\u00a0»" in chapo
    for fmt in ("html", "md", "txt"):
        assert "Brouillon de chapô" in unescape(render(draft, fmt).decode())
    edited = compile_week(a, "2026-W37", intro=["Le mot de la rédaction."])
    assert not edited.intro_draft and edited.intro == ["Le mot de la rédaction."]
    assert "Brouillon de chapô" not in unescape(render(edited, "html").decode())
    due = compile_week(
        archive(tmp_path / "b", [corrigendum("26-7400", "2026-02-27T12:00:00", "2026-02-17")]), "2026-W08"
    )
    assert due.intro[0].endswith(
        "À ne pas manquer, dans les sept jours : «\u00a0Prestations traiteurs pour l'URSSAF Normandie\u00a0»,"
        " vendredi 27 février 2026 à\u00a012\u00a0h."
    )


def test_the_docx_is_french_styled_with_links_and_names_the_watch(tmp_path: Path) -> None:
    issue = compile_week(archive(tmp_path), "2026-W37")
    data = render(issue, "docx")
    z = zipfile.ZipFile(io.BytesIO(data))
    styles = etree.fromstring(z.read("word/styles.xml"))
    assert styles.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}lang").get(f"{W}val") == "fr-FR"
    normal = styles.find(f"{W}style[@{W}styleId='Normal']")
    assert normal.find(f"{W}rPr/{W}lang").get(f"{W}val") == "fr-FR"
    assert normal.find(f"{W}rPr/{W}rFonts").get(f"{W}ascii") == "Calibri"
    heading = styles.find(f"{W}style[@{W}styleId='Heading1']")
    assert heading.find(f"{W}rPr/{W}color").get(f"{W}val") == "0F766E"
    body = etree.fromstring(z.read("word/document.xml"))
    rels = etree.fromstring(z.read("word/_rels/document.xml.rels"))
    targets = {r.get("Id"): (r.get("Target"), r.get("TargetMode")) for r in rels}
    links = {targets[h.get(f"{R}id")] for h in body.iter(f"{W}hyperlink")}
    urls = {e.url for e in issue.entries if e.url}
    assert urls and links == {(u, "External") for u in urls}
    assert any(n.startswith("word/media/") and n.endswith(".png") for n in z.namelist())  # the chart
    assert len(docx.Document(io.BytesIO(data)).tables) == 1  # and its data
    props = docx.Document(io.BytesIO(data)).core_properties
    assert props.author == "Veille marchés publics ESS" and props.last_modified_by == "Veille marchés publics ESS"
    assert props.title == "Marchés publics et ESS — semaine 37 de 2026" and props.language == "fr-FR"
    for name in z.namelist():
        assert b"python-docx" not in z.read(name), name


def test_the_markdown_is_commonmark_without_stray_escapes(tmp_path: Path) -> None:
    a = archive(tmp_path, [corrigendum("26-7400", "2026-03-13T12:00:00", "2026-01-25")])
    for week in ("2026-W37", "2026-W34", "2026-W04", "2026-W33"):
        md = render(compile_week(a, week), "md").decode()
        texts = _texts(md)
        assert texts and not any("\\" in t for t in texts), week
        assert "\\(" not in md and "\\)" not in md
    w37 = render(compile_week(a, "2026-W37"), "md").decode()
    assert "commissariat (GSC) de Strasbourg" in w37
    html = MarkdownIt("commonmark").render(w37)
    assert '<a href="https://ted.europa.eu/fr/notice/-/detail/626146-2026">' in html


def test_the_chart_is_inline_svg_in_the_html_and_deterministic(tmp_path: Path) -> None:
    issue = compile_week(archive(tmp_path), "2026-W37")
    html = render(issue, "html")
    [svg] = _SVG.findall(html)
    assert b"<metadata>" not in svg and b"<?xml" not in html and b'role="img"' in svg
    assert render(issue, "html") == html
    assert b"<table" in html and b"Moyenne des 4 semaines pr\xc3\xa9c\xc3\xa9dentes" in html
    md, txt = render(issue, "md").decode(), render(issue, "txt").decode()
    assert "- Agriculture de proximité : **1** (moyenne : 0)" in md
    assert "LA SEMAINE EN IMAGE" in txt and "Sûreté des équipements" in txt
