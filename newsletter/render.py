"""The newsletter in four formats: HTML (styles inlined, pastes into an e-mail or a CMS), Markdown, DOCX
(real Word headings and lists, for the press desk) and plain text. HTML, Markdown and text come from the
templates in templates/ that editors may adapt; the DOCX is built from the same content. Output is
byte-for-byte stable for the same archive and week (no clock in it, fixed timestamps inside the DOCX).
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

from docx import Document
from docx.shared import Pt, RGBColor

from formatting import environment
from newsletter.content import Entry, Issue

FORMATS = ("html", "md", "docx", "txt")


def _md_escape(text: str | None) -> str:
    """Scraped text in Markdown: characters that would become markup are escaped."""
    if not text:
        return ""
    out = []
    for ch in " ".join(text.split()):
        out.append("\\" + ch if ch in "\\`*_{}[]<>()#+!|~" else ch)
    return "".join(out)


def _md_url(url: str | None) -> str:
    """A link target that cannot end the Markdown link early (parentheses, brackets, spaces percent-encoded)."""
    if not url:
        return ""
    return "".join(
        {"(": "%28", ")": "%29", "[": "%5B", "]": "%5D", "<": "%3C", ">": "%3E", " ": "%20"}.get(c, c) for c in url
    )


def render_text(issue: Issue, fmt: str) -> bytes:
    env = environment()
    env.filters["md"] = _md_escape
    env.filters["md_url"] = _md_url
    template = env.get_template(
        {"html": "newsletter.html.j2", "md": "newsletter.md.j2", "txt": "newsletter.txt.j2"}[fmt]
    )
    return template.render(issue=issue).encode("utf-8")


def _entry_lines(e: Entry) -> list[str]:
    lines = [f"Acheteur : {e.buyer}" if e.buyer else "Acheteur non précisé"]
    if e.place:
        lines.append(f"Lieu : {e.place}")
    if e.deadline:
        lines.append(f"Date limite : {e.deadline}")
    if e.value:
        lines.append(f"Montant estimé : {e.value}")
    if e.winners:
        lines.append(
            "Attributaire(s) : "
            + ", ".join(
                w.name + (f" ({w.amount})" if w.amount else "") + (" — ESS" if w.ess else "") for w in e.winners
            )
        )
    if e.flags:
        lines.append(" · ".join(e.flags))
    if e.url:
        lines.append(f"Avis : {e.url}")
    return lines


def render_docx(issue: Issue) -> bytes:
    doc = Document()
    props = doc.core_properties
    stamp = datetime(issue.start.year, issue.start.month, issue.start.day)
    props.title, props.author, props.created, props.modified = issue.title, "Veille marchés publics ESS", stamp, stamp
    props.last_modified_by, props.revision = "Veille marchés publics ESS", 1
    style = doc.styles["Normal"]
    style.font.name, style.font.size = "Calibri", Pt(11)
    doc.add_heading(issue.title, level=0)
    period = doc.add_paragraph(issue.period.capitalize())
    period.runs[0].font.color.rgb = RGBColor(0x4B, 0x55, 0x63)
    for paragraph in issue.intro:
        doc.add_paragraph(paragraph)
    doc.add_heading("Chiffres clés de la semaine", level=1)
    for label, value in issue.figures:
        doc.add_paragraph(f"{label} : {value}", style="List Bullet")
    for section in issue.sections:
        doc.add_heading(section.title, level=1)
        doc.add_paragraph(section.note).runs[0].italic = True
        for group, entries in section.groups:
            if group:
                doc.add_heading(group, level=2)
            for e in entries:
                doc.add_heading(e.title, level=3)
                for line in _entry_lines(e):
                    doc.add_paragraph(line, style="List Bullet")
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
