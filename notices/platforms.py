"""Buyer platforms mapped into the normalized notice: Atexo feeds and pages, RSS/Atom feeds, configured sites.

Atexo MPE ("local-trust") runs PLACE, Maximilien and some sixty other portals. Its RSS items carry
structured `<category domain="...">` fields (Organisme = the buyer's orgAcronyme, DateLimite in RFC 822,
LieuxExecution, cpv ...); its consultation page has a recap block whose spans are identified by suffix
(`..._reference`, `..._intitule`, `..._dateHeureLimiteRemisePlis` "15/09/2020 12:00" in Paris time,
`..._lieuxExecutions` "(67) Bas-Rhin, (68) Haut-Rhin" ...). Both map here; the page, when it can be
read, completes and corrects the feed. Dates go through the one date function (notices.dates).
"""

from __future__ import annotations

import re
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlparse

from lxml import etree
from lxml import html as lxml_html

from notices import values as v
from notices.checks import RecordError
from notices.dates import parse_instant
from notices.model import Buyer, Lot, Notice

_XML = etree.XMLParser(resolve_entities=False, no_network=True, recover=True, huge_tree=False)
_TYPES = {"travaux": "works", "services": "services", "fournitures": "supplies"}
_BARE_AMP = re.compile(rb"&(?!#?[A-Za-z0-9]+;)")
_DEPT = re.compile(r"\((\d{2,3}|2[AB])\)")
_RECAP_FIELDS = (
    "dateHeureLimiteRemisePlis",
    "reference",
    "intitule",
    "objet",
    "entitePublique",
    "entiteAchat",
    "typeProcedure",
    "categoriePrincipale",
    "nbrLots",
    "idAtexoRef_scriptRef",
    "lieuxExecutions",
)


def clean(text: str | None) -> str | None:
    if text is None:
        return None
    t = " ".join(unescape(text).split())
    return t or None


def parse_feed(data: bytes) -> list[dict[str, Any]]:
    """RSS 2.0 items or Atom entries as flat dicts (categories by domain, repeated ones as lists)."""
    # Atexo feeds put bare "&" in links (…&AllCons&id=803968): escape them, or the parser drops them
    root = etree.fromstring(_BARE_AMP.sub(b"&amp;", data), _XML)
    if root is None:
        raise ValueError("not an XML feed")
    items = []
    atom = "{http://www.w3.org/2005/Atom}"
    for node in root.iter("item", f"{atom}entry"):
        item: dict[str, Any] = {"categories": {}}
        for child in node:
            if not isinstance(child.tag, str):
                continue
            tag = child.tag.replace(atom, "")
            if tag == "category":
                domain = child.get("domain") or child.get("scheme") or "category"
                value = clean(child.text) or clean(child.get("term"))
                if value:
                    item["categories"].setdefault(domain, []).append(value)
            elif tag == "link":
                item["link"] = clean(child.text) or child.get("href")
            else:
                item[tag] = clean("".join(child.itertext()))
        items.append(item)
    return items


def _cat(item: dict[str, Any], name: str) -> str | None:
    values = item["categories"].get(name) or []
    return values[0] if values else None


def atexo_ids(item: dict[str, Any]) -> tuple[str | None, str | None]:
    """(consultation id, orgAcronyme) of an Atexo feed item, from its link or guid."""
    query = parse_qs(urlparse(item.get("link") or "").query)
    cid = (query.get("id") or query.get("refConsultation") or [None])[0]
    if cid is None and item.get("guid"):
        cid = item["guid"].split("_", 1)[0]
    return cid, _cat(item, "Organisme") or (query.get("orgAcronyme") or [None])[0]


def notice_from_atexo_item(platform: str, item: dict[str, Any]) -> Notice:
    cid, org = atexo_ids(item)
    if not cid:
        raise RecordError("feed item without a consultation id (no id= in its link, no guid)")
    n = Notice(source=platform, source_id=cid, kind="contract_notice")
    n.url = item.get("link")
    n.title = _cat(item, "Titre") or item.get("title")
    n.description = _cat(item, "Objet") or item.get("description")
    name = (_cat(item, "Organisme_nom") or "").strip() or None
    n.buyer = Buyer(name=name, postal_code=_cat(item, "Organisme_code_postal"))
    n.alt_ids = [f"{platform}:{org}:{cid}"] if org else []
    n.deadline = parse_instant(_cat(item, "DateLimite") or _cat(item, "ClosureDate"))
    published = parse_instant(item.get("pubDate") or _cat(item, "DateOuverture"))
    n.published = published.date() if published else None
    n.contract_type = _TYPES.get((_cat(item, "Category") or "").lower())  # type: ignore[assignment]
    n.cpv = v.cpv_codes(re.split(r"[,;\s]+", ",".join(item["categories"].get("cpv", []))))
    n.departements = v.departements(re.split(r"[,;\s]+", ",".join(item["categories"].get("LieuxExecution", []))))
    lots = item["categories"].get("Lot") or []
    n.lots = [Lot(number=str(i), title=t) for i, t in enumerate(lots, start=1)]
    n.notes = _cat(item, "Procedure")
    return n


def _decode(page: bytes | str) -> str:
    if isinstance(page, str):
        return page
    try:
        return page.decode("utf-8")
    except UnicodeDecodeError:
        return page.decode("cp1252", errors="replace")


def recap_fields(page: bytes | str) -> dict[str, str]:
    """The recap block of an Atexo consultation page, by span id suffix (robust to ctl7/ctl8 renumbering)."""
    doc = lxml_html.fromstring(_decode(page))
    out: dict[str, str] = {}
    for el in doc.xpath("//*[starts-with(@id, 'ctl0_CONTENU_PAGE_')]"):
        ident = el.get("id")
        for field in _RECAP_FIELDS:
            if ident.endswith("_" + field) and field not in out:
                text = clean(el.text_content())
                if text:
                    out[field] = text
    return out


def fill_from_atexo_page(n: Notice, page: bytes | str) -> dict[str, str]:
    """Complete a notice from its consultation page; returns the recap fields found (for breakage checks)."""
    f = recap_fields(page)
    n.reference = f.get("reference") or n.reference
    n.title = f.get("intitule") or n.title
    if f.get("objet"):
        n.description = f["objet"]
    buyer = f.get("entiteAchat") or f.get("entitePublique")
    if buyer:
        n.buyer.name = buyer.split(" / ")[-1].strip() or n.buyer.name
    deadline = parse_instant(f.get("dateHeureLimiteRemisePlis"))
    n.deadline = deadline or n.deadline
    n.contract_type = _TYPES.get((f.get("categoriePrincipale") or "").lower(), n.contract_type)  # type: ignore[arg-type]
    n.cpv = v.unique([*v.cpv_codes([f.get("idAtexoRef_scriptRef") or ""]), *n.cpv])
    if f.get("lieuxExecutions"):
        n.place = f["lieuxExecutions"]
        n.departements = v.unique([*v.departements(_DEPT.findall(f["lieuxExecutions"])), *n.departements])
    if f.get("typeProcedure"):
        n.notes = f["typeProcedure"]
    lots = re.match(r"(\d+)", f.get("nbrLots") or "")
    if lots and not n.lots:
        n.lots = [Lot(number=str(i)) for i in range(1, int(lots.group(1)) + 1)]
    return f


def notice_from_site_item(source: str, fields: dict[str, str | None], buyer: str | None) -> Notice:
    """An item of a configured site: the fields its selectors extracted (title, link, deadline, ...)."""
    link = fields.get("link")
    if not link or not fields.get("title"):
        raise RecordError(f"item without {'a link' if not link else 'a title'}")
    n = Notice(source=source, source_id=(fields.get("reference") or link)[:300], kind="contract_notice")
    n.url, n.title, n.reference = link, fields["title"], fields.get("reference")
    n.description = fields.get("description")
    n.buyer = Buyer(name=fields.get("buyer") or buyer)
    n.deadline = parse_instant(fields.get("deadline"))
    n.place = fields.get("place")
    if fields.get("place"):
        n.departements = v.departements(_DEPT.findall(fields["place"])) or v.unique(
            [v.departement_from_postal_code(cp) for cp in re.findall(r"\b\d{5}\b", fields["place"])]
        )
    n.cpv = v.cpv_codes([fields.get("cpv") or ""])
    return n


def notice_from_feed_entry(source: str, entry: dict[str, Any], buyer: str | None) -> Notice:
    """A plain RSS/Atom entry: title, link, summary, dates; the deadline from the text when it states one."""
    link = entry.get("link") or entry.get("guid") or entry.get("id")
    if not link:
        raise RecordError("feed entry without a link or an id")
    n = Notice(source=source, source_id=(entry.get("guid") or entry.get("id") or link)[:300], kind="contract_notice")
    n.url, n.title = link, entry.get("title")
    n.description = clean(re.sub(r"<[^>]+>", " ", entry.get("description") or entry.get("summary") or "")) or None
    n.buyer = Buyer(name=buyer)
    published = parse_instant(entry.get("pubDate") or entry.get("published") or entry.get("updated"))
    n.published = published.date() if published else None
    text = n.description or ""
    m = re.search(r"(?:date\s+limite|cl[ôo]ture|remise des (?:offres|plis))[^:]{0,40}:?\s*(.{8,60})", text, re.I)
    n.deadline = parse_instant(m.group(1)) if m else None
    return n
