"""The newsletter in four formats: HTML (styles inlined, pastes into an e-mail or a CMS), Markdown (CommonMark),
DOCX (real Word headings and lists, in French, with clickable links, for the press desk) and plain text. HTML,
Markdown and text come from the templates in templates/ that editors may adapt; the DOCX is built from the same
content. Output is byte-for-byte stable for the same archive and week (no clock in it, fixed timestamps inside
the DOCX, a deterministic chart).
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from formatting import environment
from newsletter import chart as charts
from newsletter.content import Entry, Issue

FORMATS = ("html", "md", "docx", "txt")
AUTHOR = "Veille marchés publics ESS"
SOURCES_LINE = (
    "Sources : BOAMP, TED, APProch et profils d'acheteurs. Liste établie automatiquement par la veille ; "
    "les avis font foi."
)
DRAFT_LABEL = "Brouillon de chapô, généré automatiquement : à réécrire par la rédaction."
LANG = "fr-FR"
TEAL, INK, MUTED, LINK = RGBColor(0x0F, 0x76, 0x6E), RGBColor(0x11, 0x18, 0x27), RGBColor(0x4B, 0x55, 0x63), "0F766E"
BODY_FONT, HEADING_FONT = "Calibri", "Georgia"

# Markdown: what would become markup anywhere in a line (emphasis, code, links, raw HTML, escapes).
_MD_INLINE = set("\\`*_[]<>")
_SPACES = re.compile(r"[ \t\r\n\f\v]+")
_MD_ENTITY = re.compile(r"&(?=#?\w+;)")
_MD_BLOCK = re.compile(r"^(\d+)([.)])|^([#>+=|-])")


def _md_escape(text: str | None) -> str:
    """Scraped text in CommonMark: only the characters that would become markup are escaped (a "(" stays a
    "("); a line start that would open a heading, a quote or a list is escaped too."""
    if not text:
        return ""
    text = _SPACES.sub(" ", text).strip()  # no-break spaces stay ("à 12 h" never breaks)
    out = "".join("\\" + ch if ch in _MD_INLINE else ch for ch in text)
    out = _MD_ENTITY.sub(r"\\&", out)
    return _MD_BLOCK.sub(lambda m: f"{m.group(1)}\\{m.group(2)}" if m.group(1) else "\\" + m.group(3), out, count=1)


def _md_url(url: str | None) -> str:
    """A link target that cannot end the Markdown link early (parentheses, brackets, spaces percent-encoded)."""
    if not url:
        return ""
    return "".join(
        {"(": "%28", ")": "%29", "[": "%5B", "]": "%5D", "<": "%3C", ">": "%3E", " ": "%20"}.get(c, c) for c in url
    )


def _decimal(value: float) -> str:
    """0.25 -> "0,25", 1.5 -> "1,5", 2.0 -> "2" (French decimal comma)."""
    return f"{value:.2f}".rstrip("0").rstrip(".").replace(".", ",")


def render_text(issue: Issue, fmt: str) -> bytes:
    env = environment()
    env.filters["md"] = _md_escape
    env.filters["md_url"] = _md_url
    env.filters["decimal"] = _decimal
    template = env.get_template(
        {"html": "newsletter.html.j2", "md": "newsletter.md.j2", "txt": "newsletter.txt.j2"}[fmt]
    )
    svg = charts.svg(issue.chart) if fmt == "html" and issue.chart else ""
    return template.render(issue=issue, chart_svg=svg, sources=SOURCES_LINE, draft_label=DRAFT_LABEL).encode("utf-8")


def _entry_lines(e: Entry) -> list[str]:
    lines = []
    if e.status_label:
        lines.append(f"Statut : {e.status_label}")
    lines.append(f"Acheteur : {e.buyer}" if e.buyer else "Acheteur non précisé")
    if e.place:
        lines.append(f"Lieu : {e.place}")
    if e.expected:
        lines.append(f"Publication prévue : {e.expected}")
    if e.deadline:
        lines.append(f"{e.deadline_label} : {e.deadline}")
    if e.value:
        lines.append(f"Montant estimé : {e.value}")
    if e.announced:
        lines.append(e.announced)
    if e.changes:
        lines.append("Ce qui change : " + " ; ".join(e.changes))
    if e.lead:
        lines.append(f"Piste : {e.lead}")
    if e.winners:
        lines.append(
            "Attributaire(s) : "
            + ", ".join(
                w.name + (f" ({w.amount})" if w.amount else "") + (" — ESS" if w.ess else "") for w in e.winners
            )
        )
    if e.flags:
        lines.append(" · ".join(e.flags))
    lines.append(f"Source : {e.provenance}")
    return lines


def _lang(rpr) -> None:  # noqa: ANN001 - a CT_RPr
    for old in rpr.findall(qn("w:lang")):
        rpr.remove(old)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), LANG)
    lang.set(qn("w:eastAsia"), LANG)
    rpr.append(lang)


def _font(style, name: str) -> None:  # noqa: ANN001 - a docx style
    """A named font, not the theme's (the theme attributes would win in Word)."""
    style.font.name = name
    fonts = style.element.rPr.find(qn("w:rFonts"))
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    fonts.set(qn("w:eastAsia"), name)
    fonts.set(qn("w:cs"), name)


def _styles(doc) -> None:  # noqa: ANN001 - a docx Document
    """The house look, in French: readable body font, headings in the project's colours, fr-FR everywhere."""
    styles = doc.styles
    defaults = styles.element.find(qn("w:docDefaults"))
    rpr_default = defaults.find(qn("w:rPrDefault"))
    if rpr_default is None:
        rpr_default = OxmlElement("w:rPrDefault")
        defaults.insert(0, rpr_default)
    rpr = rpr_default.find(qn("w:rPr"))
    if rpr is None:
        rpr = OxmlElement("w:rPr")
        rpr_default.append(rpr)
    _lang(rpr)
    normal = styles["Normal"]
    _font(normal, BODY_FONT)
    normal.font.size = Pt(11)
    normal.font.color.rgb = RGBColor(0x1F, 0x29, 0x37)
    normal.paragraph_format.space_after = Pt(4)
    _lang(normal.element.get_or_add_rPr())
    for name, size, colour in (
        ("Title", 24, INK),
        ("Heading 1", 16, TEAL),
        ("Heading 2", 13, TEAL),
        ("Heading 3", 12, INK),
    ):
        style = styles[name]
        _font(style, HEADING_FONT)
        style.font.size, style.font.color.rgb, style.font.bold = Pt(size), colour, name != "Title"
        style.paragraph_format.space_before = Pt(14 if name == "Heading 1" else 8)
        style.paragraph_format.space_after = Pt(4)
    title = styles["Title"].element.pPr
    if title is not None:  # the default Title has a blue bottom border: the project's teal instead
        for border in title.iter(qn("w:bottom")):
            border.set(qn("w:color"), LINK)
    if "Hyperlink" not in [s.name for s in styles]:
        link = styles.add_style("Hyperlink", WD_STYLE_TYPE.CHARACTER)
        link.font.color.rgb, link.font.underline = RGBColor.from_string(LINK), True


def _hyperlink(paragraph, url: str, text: str) -> None:  # noqa: ANN001 - a docx Paragraph
    """A clickable link (python-docx has no API for it): a w:hyperlink on an external relationship."""
    r_id = paragraph.part.relate_to(url, RT.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), r_id)
    link.set(qn("w:history"), "1")
    run = OxmlElement("w:r")
    rpr = OxmlElement("w:rPr")
    style = OxmlElement("w:rStyle")
    style.set(qn("w:val"), "Hyperlink")
    rpr.append(style)
    run.append(rpr)
    t = OxmlElement("w:t")
    t.text = text
    t.set(qn("xml:space"), "preserve")
    run.append(t)
    link.append(run)
    paragraph._p.append(link)


def _chart(doc, issue: Issue) -> None:  # noqa: ANN001 - a docx Document
    c = issue.chart
    if c is None:
        return
    doc.add_heading("La semaine en image", level=1)
    doc.add_picture(io.BytesIO(charts.png(c)), width=Cm(16))
    table = doc.add_table(rows=1, cols=3)
    table.style = doc.styles["Table Grid"]
    for cell, text in zip(
        table.rows[0].cells, ("Thème", "Cette semaine", f"Moyenne des {c.weeks} semaines précédentes"), strict=True
    ):
        cell.text = text
        run = cell.paragraphs[0].runs[0]
        run.bold, run.font.color.rgb = True, TEAL
    for row in c.rows:
        cells = table.add_row().cells
        cells[0].text, cells[1].text, cells[2].text = row.label, str(row.week), _decimal(row.average)
    doc.add_paragraph(
        f"Réservés à l'ESS et à l'insertion ou avec clause d'insertion : {c.social} sur {c.total} ({c.share})."
    )


def render_docx(issue: Issue) -> bytes:
    doc = Document()
    props = doc.core_properties
    stamp = datetime(issue.start.year, issue.start.month, issue.start.day)
    props.title, props.author, props.created, props.modified = issue.title, AUTHOR, stamp, stamp
    props.last_modified_by, props.revision, props.language = AUTHOR, 1, LANG
    props.subject = f"Marchés publics et économie sociale et solidaire, {issue.period}"
    props.comments = "Lettre hebdomadaire de la veille des marchés publics de l'ESS"
    props.keywords, props.category = "marchés publics; ESS; insertion", "Lettre d'information"
    _styles(doc)
    doc.add_heading(issue.title, level=0)
    period = doc.add_paragraph(issue.period.capitalize())
    period.runs[0].font.color.rgb = MUTED
    if issue.intro_draft:
        note = doc.add_paragraph(DRAFT_LABEL)
        note.runs[0].italic, note.runs[0].font.color.rgb = True, RGBColor(0xB4, 0x53, 0x09)
    for paragraph in issue.intro:
        doc.add_paragraph(paragraph)
    if issue.empty:
        doc.add_paragraph(issue.empty)
    doc.add_heading("Chiffres clés de la semaine", level=1)
    for label, value in issue.figures:
        doc.add_paragraph(f"{label} : {value}", style="List Bullet")
    _chart(doc, issue)
    if issue.observatory:
        doc.add_heading(issue.observatory.title, level=1)
        for line in issue.observatory.lines:
            doc.add_paragraph(line, style="List Bullet")
        doc.add_paragraph(f"Rapport complet : {issue.observatory.report}").runs[0].font.color.rgb = MUTED
    for section in issue.sections:
        doc.add_heading(section.title, level=1)
        doc.add_paragraph(section.note).runs[0].italic = True
        if not section.groups:
            doc.add_paragraph(section.empty)
        for group, entries in section.groups:
            if group:
                doc.add_heading(group, level=2)
            for e in entries:
                doc.add_heading(e.title, level=3)
                for line in _entry_lines(e):
                    doc.add_paragraph(line, style="List Bullet")
                if e.url:
                    _hyperlink(doc.add_paragraph("Avis : ", style="List Bullet"), e.url, e.url)
    doc.add_paragraph(SOURCES_LINE).runs[0].font.color.rgb = MUTED
    raw = io.BytesIO()
    doc.save(raw)
    return _stable_zip(raw.getvalue())


def _stable_zip(data: bytes) -> bytes:
    """Rewrite the DOCX container with fixed entry timestamps, so the same content gives the same bytes."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2000, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()


def render(issue: Issue, fmt: str) -> bytes:
    if fmt == "docx":
        return render_docx(issue)
    if fmt in ("html", "md", "txt"):
        return render_text(issue, fmt)
    raise ValueError(f"unknown format {fmt!r} (expected one of {', '.join(FORMATS)})")
