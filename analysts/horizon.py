"""The buyers' horizon: each buyer's upcoming purchases (archive.upcoming), by theme and expected date.

An upcoming purchase is on the horizon while its call is not out: a prior-information notice or an APProch
project, not cancelled, not linked to a published call, whose call is expected from `start` to `months`
months later, or whose expression-of-interest deadline (a PIN used as a call for competition) is still
ahead, or, when it gives neither, that was announced in the last RECENT_DAYS days; and announced by `start`.
Read by the buyer directory (analysts.buyers: the `horizon` column) and by `run_watch.py upcoming`.
"""

from __future__ import annotations

import json
from calendar import monthrange
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

import sqlite_utils

from formatting import date_fr, display_text
from formatting.buyers import short_buyer
from formatting.places import departement_of_postal_code

RECENT_DAYS = 180
SOURCES = {"approch": "APProch", "boamp": "BOAMP", "ted": "TED"}

_SELECT = """select n.source, n.source_id, n.title, n.buyer_name, n.buyer_siret, n.buyer_postal_code, n.published,
    n.expected_publication, n.deadline, n.deadline_utc, n.value_band, n.value, n.url, n.departements,
    (select json_group_array(t.theme) from notice_themes t where t.source = n.source and t.source_id = n.source_id)
        as themes
from notices n
where n.kind = 'prior_information' and n.status != 'cancellation' and coalesce(n.published, '') <= ?
  and not exists (select 1 from upcoming_links l where l.upcoming_source = n.source
                  and l.upcoming_source_id = n.source_id and l.published <= ?)
  and (n.expected_publication between ? and ? or (n.expected_publication is null
       and (n.deadline_utc > ? or n.published >= ?)))"""


@dataclass
class Upcoming:
    notice: str  # source:source_id
    buyer: str | None
    siren: str | None
    title: str
    themes: list[str]
    expected: str | None  # ISO day the call is expected
    interest_deadline: str | None  # a PIN used as a call for competition: express interest by then
    value_band: str | None
    value: float | None
    departements: list[str]
    source: str
    url: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def months_after(start: date, months: int) -> date:
    """The same day `months` later (the month's last day when it has fewer days)."""
    month = start.month - 1 + months
    year, month = start.year + month // 12, month % 12 + 1
    return date(year, month, min(start.day, monthrange(year, month)[1]))


def horizon(
    db: sqlite_utils.Database,
    *,
    start: date,
    months: int = 6,
    theme: str | None = None,
    departement: str | None = None,
) -> list[Upcoming]:
    """The upcoming purchases on the horizon, soonest expected first (those without a date last)."""
    if not db["upcoming_links"].exists():
        return []
    end = months_after(start, months)
    now_utc = f"{start.isoformat()}T00:00:00Z"
    recent = (start - timedelta(days=RECENT_DAYS)).isoformat()
    params = [start.isoformat(), start.isoformat(), start.isoformat(), end.isoformat(), now_utc, recent]
    out = []
    for r in db.query(_SELECT, params):
        themes = [t for t in json.loads(r["themes"] or "[]") if t]
        places = json.loads(r["departements"] or "[]") or [
            d for d in [departement_of_postal_code(r["buyer_postal_code"])] if d
        ]
        if theme and theme not in themes:
            continue
        if departement and departement not in places:
            continue
        digits = "".join(c for c in r["buyer_siret"] or "" if c.isdigit())
        out.append(
            Upcoming(
                notice=f"{r['source']}:{r['source_id']}",
                buyer=short_buyer(display_text(r["buyer_name"], 400)),
                siren=digits[:9] if len(digits) >= 9 else None,
                title=display_text(r["title"], 300) or "(sans titre)",
                themes=sorted(themes),
                expected=r["expected_publication"],
                interest_deadline=r["deadline"],
                value_band=r["value_band"],
                value=r["value"],
                departements=places,
                source=r["source"],
                url=r["url"],
            )
        )
    return sorted(out, key=lambda u: (u.expected or u.interest_deadline or "9999", u.notice))


def _theme_label(u: Upcoming, labels: dict[str, str]) -> str:
    return labels.get(u.themes[0], u.themes[0]) if u.themes else "~"  # without a theme: last


def _when(u: Upcoming) -> str:
    if u.expected:
        return f"publication prévue le {date_fr(u.expected, with_time=False)}"
    if u.interest_deadline:
        return f"se manifester avant le {date_fr(u.interest_deadline)}"
    return "date non précisée"


def render_horizon(items: list[Upcoming], labels: dict[str, str], *, start: date, months: int) -> str:
    """A readable list, buyer by buyer (most purchases first), each purchase by theme then expected date."""
    first, last = (date_fr(d.isoformat(), with_time=False) for d in (start, months_after(start, months)))
    head = f"Achats à venir du {first} au {last}"
    if not items:
        return head + " : aucun."
    by_buyer: dict[str, list[Upcoming]] = defaultdict(list)
    for u in items:
        by_buyer[u.siren or u.buyer or "?"].append(u)
    n, buyers = len(items), len(by_buyer)
    lines = [f"{head} : {n} achat{'s' if n > 1 else ''} de {buyers} acheteur{'s' if buyers > 1 else ''}"]
    for _, group in sorted(by_buyer.items(), key=lambda g: (-len(g[1]), g[1][0].buyer or "", g[0])):
        ident = f"SIREN {group[0].siren}" if group[0].siren else "sans SIREN"
        lines += ["", f"{group[0].buyer or 'Acheteur non précisé'} ({ident})"]
        for u in sorted(group, key=lambda u: (_theme_label(u, labels), u.expected or "")):
            theme = ", ".join(labels.get(t, t) for t in u.themes) or "sans thème"
            parts = [f"  - {theme} · {_when(u)} · {u.title}"]
            if u.value_band:
                parts.append(u.value_band)
            if u.departements:
                parts.append(f"dép. {', '.join(u.departements)}")
            parts.append(SOURCES.get(u.source, u.source))
            lines.append(" · ".join(parts))
            if u.url:
                lines.append(f"    {u.url}")
    return "\n".join(lines)
