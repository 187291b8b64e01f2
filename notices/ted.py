"""TED Search API v3 notices (+ their eForms XML when fetched) mapped into the normalized notice.

The search API returns only the fields asked for, in shapes that differ from its own spec (TED reference
§1.5): multilingual dicts keyed by lower-case ISO 639-2/B ({"fra": "..."} or {"fra": ["..."]}), arrays for
single values, dates as "2026-09-11+02:00", amounts as strings, "-1" for a withheld value, zero-padded
publication numbers. Per-lot arrays are parallel but not aligned (duplicates, different lengths), so they
are never zipped into lots: lots come from the XML. When the XML is there it is the full notice and wins.
"""

from __future__ import annotations

import json
import re
from typing import Any

from notices import eforms
from notices import values as v
from notices.checks import SOURCE_LINKS, RecordError
from notices.dates import deadline as parse_deadline
from notices.dates import parse_date
from notices.model import Award, Notice, SocialSignal
from notices.nuts import departements_from_nuts, place_from_nuts
from notices.stated import Stated

SOURCE = "ted"
LANGS = ("fra", "eng")
DETAIL_URL = SOURCE_LINKS[SOURCE]

# Fields requested from the search API (names from the API's field enum, TED reference §1.6).
FIELDS = [
    "publication-number",
    "notice-identifier",
    "procedure-identifier",
    "notice-version",
    "notice-type",
    "notice-subtype",
    "form-type",
    "publication-date",
    "notice-title",
    "title-proc",
    "description-proc",
    "buyer-name",
    "buyer-country",
    "buyer-identifier",
    "buyer-city",
    "buyer-post-code",
    "classification-cpv",
    "main-classification-proc",
    "contract-nature",
    "place-of-performance",
    "deadline-receipt-tender-date-lot",
    "deadline-receipt-request-date-lot",
    "estimated-value-proc",
    "estimated-value-cur-proc",
    "estimated-value-lot",
    "estimated-value-cur-lot",
    "reserved-procurement-lot",
    "reserved-execution-lot",
    "strategic-procurement-lot",
    "strategic-procurement-description-lot",
    "social-objective-lot",
    "term-performance-lot",
    "change-reason-code",
    "change-notice-version-identifier",
    "winner-name",
    "winner-identifier",
    "links",
]

_PUBNO = re.compile(r"^0*(\d+)-(\d{4})$")
_NUTS = re.compile(r"^[A-Z]{2}[0-9A-Z]{1,3}$")


def publication_number(value: Any) -> str | None:
    """ "00172531-2026" -> "172531-2026" (the API pads some, not others)."""
    t = v.text(value)
    if not t:
        return None
    m = _PUBNO.match(t.strip())
    return f"{m.group(1)}-{m.group(2)}" if m else t.strip()


def i18n(value: Any, langs: tuple[str, ...] = LANGS) -> str | None:
    """A multilingual value: French, then English, then any language; lists joined."""
    if isinstance(value, dict):
        for lang in (*langs, *value.keys()):
            if lang in value:
                return i18n(value[lang])
        return None
    if isinstance(value, list):
        parts = v.unique(i18n(x) for x in value)
        return "; ".join(parts) if parts else None
    return v.text(value)


def i18n_list(value: Any, langs: tuple[str, ...] = LANGS) -> list[str]:
    if isinstance(value, dict):
        for lang in (*langs, *value.keys()):
            if lang in value:
                return [t for t in (v.text(x) for x in v.as_list(value[lang])) if t]
        return []
    return [t for t in (v.text(x) for x in v.as_list(value)) if t]


def scalar(value: Any) -> str | None:
    """Scalars that may come as a string, a one-element array or {"value": ...}."""
    if isinstance(value, list):
        return scalar(value[0]) if value else None
    if isinstance(value, dict) and "value" in value:
        return scalar(value["value"])
    return v.text(value)


def strings(value: Any) -> list[str]:
    return [t for t in (scalar(x) for x in v.as_list(value)) if t]


def notice_links(api: dict[str, Any]) -> tuple[str | None, str | None]:
    """(human page, eForms XML) URLs of a search result."""
    links = api.get("links") or {}
    page = None
    for kind in ("html", "htmlDirect"):
        langs = links.get(kind) or {}
        page = page or langs.get("FRA") or langs.get("ENG") or next(iter(langs.values()), None)
    xml = (links.get("xml") or {}).get("MUL")
    return page, xml


def parse_search_notice(api: dict[str, Any], *, xml_tree: dict | None = None, raw: str | None = None) -> Notice:
    """One search result (and, when fetched, its eForms XML tree) -> Notice. RecordError if unusable.

    The title and the deadline are set once, at the end: the XML's (procedure name; latest lot deadline, when
    the XML states one) before the search fields' (title-proc, else notice-title; the latest lot deadline).
    """
    if not isinstance(api, dict):
        raise RecordError(f"search result is a {type(api).__name__}, not an object")
    pubno = publication_number(api.get("publication-number") or api.get("ND"))
    if not pubno:
        raise RecordError("search result has no publication-number")
    n = Notice(source=SOURCE, source_id=pubno)
    page, _ = notice_links(api)
    n.url = page or DETAIL_URL.format(id=pubno)
    search = Stated(title=i18n(api.get("title-proc")) or i18n(api.get("notice-title")))
    n.description = i18n(api.get("description-proc"))
    buyers = i18n_list(api.get("buyer-name"))
    n.buyer.name = buyers[0] if buyers else None
    ids = strings(api.get("buyer-identifier"))
    n.buyer.siret = v.siret(ids[0]) if len(ids) == 1 else None
    n.buyer.city = next(iter(i18n_list(api.get("buyer-city"))), None)
    n.buyer.postal_code = next(iter(strings(api.get("buyer-post-code"))), None)
    n.alt_ids = strings(api.get("notice-identifier"))
    n.procedure_id = scalar(api.get("procedure-identifier"))
    n.reference = scalar(api.get("internal-identifier-proc"))
    n.published = parse_date(scalar(api.get("publication-date") or api.get("PD")))

    notice_type = scalar(api.get("notice-type"))
    if notice_type:
        n.kind = eforms.kind_of_notice_type(notice_type)  # type: ignore[assignment]
    change_reason = scalar(api.get("change-reason-code"))
    changed = strings(api.get("change-notice-version-identifier"))
    if change_reason or changed:
        n.status = "cancellation" if (change_reason or "").startswith("cancel") else "corrigendum"
    n.previous_ids = v.unique([*changed, *strings(api.get("previous-notice-id-proc"))])

    main = strings(api.get("main-classification-proc"))
    n.cpv = v.cpv_codes([*main, *strings(api.get("classification-cpv"))])
    places = strings(api.get("place-of-performance"))
    n.nuts = [p for p in places if _NUTS.match(p) and len(p) > 2 and not p.isalpha()]
    n.departements = departements_from_nuts(n.nuts)
    n.place = place_from_nuts(n.nuts)
    natures = strings(api.get("contract-nature"))
    n.contract_type = natures[0] if natures and natures[0] in ("works", "services", "supplies") else None  # type: ignore[assignment]

    deadlines = [parse_deadline(d) for d in strings(api.get("deadline-receipt-tender-date-lot"))]
    deadlines += [parse_deadline(d) for d in strings(api.get("deadline-receipt-request-date-lot"))]
    deadlines = [d for d in deadlines if d]
    search.deadline = max(deadlines) if deadlines else None

    value = v.amount(scalar(api.get("estimated-value-proc")))
    currency = scalar(api.get("estimated-value-cur-proc"))
    if value is None:
        lot_values = [v.amount(x) for x in strings(api.get("estimated-value-lot"))]
        lot_currencies = set(strings(api.get("estimated-value-cur-lot")))
        if lot_values and all(x is not None for x in lot_values) and len(lot_currencies) <= 1:
            value = sum(x for x in lot_values if x is not None)
            currency = next(iter(lot_currencies), None)
    if value:
        n.value, n.currency = value, currency or "EUR"

    n.social = _search_signals(api)
    winners = i18n_list(api.get("winner-name"))
    winner_ids = strings(api.get("winner-identifier"))
    aligned = len(winner_ids) == len(winners)
    n.awards = [Award(winner=w, siret=v.siret(winner_ids[i]) if aligned else None) for i, w in enumerate(winners)]

    xml = Stated()
    if xml_tree is not None:  # the full notice: its signals and results replace the search API's extract
        n.social, n.awards = [], []
        xml = eforms.read(n, xml_tree)
    n.title = xml.title or search.title
    n.deadline = xml.deadline if xml.deadline_stated else search.deadline
    n.raw = raw if raw is not None else json.dumps({"search": api}, ensure_ascii=False)
    return n


def _search_signals(api: dict[str, Any]) -> list[SocialSignal]:
    out: list[SocialSignal] = []
    for code in v.unique(strings(api.get("reserved-procurement-lot"))):
        if code != "none":
            out.append(SocialSignal("reserved_procurement", code, "reserved-procurement-lot (BT-71)"))
    if "yes" in strings(api.get("reserved-execution-lot")):
        out.append(SocialSignal("reserved_execution", "yes", "reserved-execution-lot (BT-736)"))
    for code in v.unique(strings(api.get("strategic-procurement-lot"))):
        if code != "none":
            out.append(SocialSignal("strategic_procurement", code, "strategic-procurement-lot (BT-06)"))
    for text in v.unique(i18n_list(api.get("strategic-procurement-description-lot"))):
        out.append(SocialSignal("strategic_procurement_description", text, "strategic-procurement-description-lot"))
    for code in v.unique(strings(api.get("social-objective-lot"))):
        out.append(SocialSignal("social_objective", code, "social-objective-lot (BT-775)"))
    for text in v.unique(i18n_list(api.get("term-performance-lot"))):
        out.append(SocialSignal("execution_conditions", text, "term-performance-lot (BT-70)"))
    return out
