"""What goes into a week's newsletter: selection, sections, grouping and key figures.

The week runs Monday to Sunday (ISO week, Paris). Notices are selected by the configured filter (themes,
the event, social flags, places) and shown once per tender (procedure). Sections: new calls for tenders
grouped by theme, upcoming tenders (prior information), deadlines of the coming week, results (ESS
winners first), corrections and cancellations. Empty sections are left out. Everything is ordered by
stable keys, so the same archive and week always give the same newsletter.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils

from classify.text import phrase_key, tokens
from formatting import RESERVED_KINDS, date_fr, display_text, money_fr, safe_url
from notices.dates import PARIS

ESS_WORDS = [
    "esat",
    "entreprise adaptee",
    "entreprises adaptees",
    "association",
    "scop",
    "scic",
    "cooperative",
    "insertion",
    "regie de quartier",
    "geiq",
    "etti",
    "atelier chantier",
    "chantier d'insertion",
    "envie",
    "emmaus",
    "ressourcerie",
    "recyclerie",
    "mutuelle",
    "fondation",
    "ess",
]
_ESS_KEYS = [phrase_key(w) for w in ESS_WORDS]

logger = logging.getLogger(__name__)


@dataclass
class Filter:
    themes: list[str]
    event: bool = True
    social_flags: bool = True
    departements: list[str] = field(default_factory=list)


@dataclass
class Winner:
    name: str
    amount: str | None
    ess: bool


@dataclass
class Entry:
    key: str
    title: str
    buyer: str | None
    place: str | None
    deadline: str | None
    value: str | None
    url: str | None
    themes: list[str]
    main_theme: str | None
    flags: list[str]
    event: str | None
    status: str
    winners: list[Winner] = field(default_factory=list)
    sort: tuple = ()


@dataclass
class Section:
    key: str
    title: str
    note: str
    groups: list[tuple[str | None, list[Entry]]]


@dataclass
class Issue:
    week: str
    start: date
    end: date
    title: str
    period: str
    intro: list[str]
    figures: list[tuple[str, str]]
    sections: list[Section]


def parse_week(text: str) -> tuple[date, date]:
    m = re.match(r"^(\d{4})-W(\d{2})$", text)
    if not m:
        raise ValueError(f"expected an ISO week like 2026-W49, got {text!r}")
    start = date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
    return start, start + timedelta(days=6)


def last_complete_week(today: date) -> str:
    year, week, _ = (today - timedelta(days=today.isoweekday())).isocalendar()
    return f"{year}-W{week:02d}"


def is_ess(name: str) -> bool:
    words = tokens(name).keys
    return any(tuple(words[i : i + len(k)]) == k for k in _ESS_KEYS for i in range(len(words) - len(k) + 1))


def _rows(db: sqlite_utils.Database, where: str, params: list[Any]) -> list[dict[str, Any]]:
    sql = f"""select n.*, c.themes as c_themes, c.social as c_social, c.event_name,
              coalesce(pn.procedure_id, n.source || ':' || n.source_id) as procedure_key, p.state as p_state
              from notices n
              left join classifications c on c.source = n.source and c.source_id = n.source_id
              left join procedure_notices pn on pn.source = n.source and pn.source_id = n.source_id
              left join procedures p on p.id = pn.procedure_id
              where {where}
              order by n.published, n.source, n.source_id"""
    return list(db.query(sql, params))


class Compiler:
    def __init__(self, db: sqlite_utils.Database, flt: Filter, labels: dict[str, str]):
        self.db = db
        self.filter = flt
        self.labels = labels

    def _relevant(self, row: dict[str, Any]) -> bool:
        themes = [t["code"] for t in json.loads(row["c_themes"] or "[]")]
        social = json.loads(row["c_social"] or "{}")
        if self.filter.departements and not set(json.loads(row["departements"] or "[]")) & set(
            self.filter.departements
        ):
            return False
        if any(t in self.filter.themes for t in themes):
            return True
        if self.filter.event and row["event_name"]:
            return True
        return self.filter.social_flags and any(
            social.get(f, {}).get("value") for f in ("reserved_contract", "insertion_clause")
        )

    def _entry(self, row: dict[str, Any]) -> Entry:
        themes = [t for t in json.loads(row["c_themes"] or "[]") if t["code"] in self.filter.themes]
        social = json.loads(row["c_social"] or "{}")
        flags = []
        if social.get("reserved_contract", {}).get("value"):
            kinds = [RESERVED_KINDS.get(k, k) for k in social["reserved_contract"].get("kinds", [])]
            flags.append("Marché réservé" + (f" ({', '.join(kinds)})" if kinds and kinds != ["marché réservé"] else ""))
        if social.get("insertion_clause", {}).get("value"):
            flags.append("Clause d'insertion")
        if social.get("social_criterion", {}).get("value"):
            flags.append("Critère social")
        winners = []
        for a in json.loads(row["awards"] or "[]"):
            if a.get("winner"):
                winners.append(
                    Winner(a["winner"], money_fr(a.get("amount"), a.get("currency")) or None, is_ess(a["winner"]))
                )
        place = row["place"] or ", ".join(json.loads(row["departements"] or "[]")) or None
        return Entry(
            key=row["procedure_key"],
            title=display_text(row["title"], 300) or "",
            buyer=display_text(row["buyer_name"], 200),
            place=display_text(place, 120),
            deadline=date_fr(row["deadline"]) if row["deadline"] else None,
            value=money_fr(row["value"], row["currency"]) if row["value"] else None,
            url=safe_url(row["url"]),
            themes=[self.labels.get(t["code"], t["code"]) for t in themes],
            main_theme=self.labels.get(themes[0]["code"]) if themes else None,
            flags=flags,
            event=row["event_name"],
            status=row["status"],
            winners=sorted(winners, key=lambda w: (not w.ess, w.name)),
            sort=(row["deadline_utc"] or "9999", row["title"] or "", row["procedure_key"]),
        )

    def _once(self, rows: list[dict[str, Any]]) -> list[Entry]:
        """One entry per tender (a BOAMP notice and its TED twin are one), the latest notice winning."""
        by_key: dict[str, dict[str, Any]] = {}
        for row in rows:
            if self._relevant(row):
                by_key[row["procedure_key"]] = row
        entries = []
        for r in by_key.values():
            try:
                entries.append(self._entry(r))
            except (ValueError, TypeError, KeyError) as exc:  # one bad notice never stops the newsletter
                logger.warning(
                    "newsletter: notice %s left out: %s: %s", r.get("procedure_key"), type(exc).__name__, exc
                )
        return sorted(entries, key=lambda e: e.sort)

    def _by_theme(self, entries: list[Entry]) -> list[tuple[str | None, list[Entry]]]:
        groups: dict[str, list[Entry]] = {}
        for e in entries:
            groups.setdefault(e.main_theme or "Autres marchés signalés", []).append(e)
        order = [self.labels[c] for c in self.filter.themes if c in self.labels] + ["Autres marchés signalés"]
        return [(g, groups[g]) for g in order if g in groups]

    def compile(self, week: str, intro: list[str]) -> Issue:
        start, end = parse_week(week)
        window = [start.isoformat(), end.isoformat()]
        week_rows = _rows(self.db, "n.published between ? and ?", window)
        new = self._once([r for r in week_rows if r["kind"] == "contract_notice" and r["status"] == "initial"])
        upcoming = self._once([r for r in week_rows if r["kind"] == "prior_information" and r["status"] == "initial"])
        results = self._once([r for r in week_rows if r["kind"] == "award"])
        results.sort(key=lambda e: (not any(w.ess for w in e.winners), e.sort))
        changes = self._once([r for r in week_rows if r["status"] in ("corrigendum", "cancellation")])
        next_start = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=PARIS)
        next_end = next_start + timedelta(days=7)
        due_rows = _rows(
            self.db,
            "n.kind in ('contract_notice', 'prior_information') and n.deadline_utc >= ? and n.deadline_utc < ? "
            "and n.published <= ? and coalesce(p.state, '') != 'cancelled'",
            [_utc(next_start), _utc(next_end), end.isoformat()],
        )
        due = self._once(due_rows)
        sections = [
            Section(
                "new",
                "Nouveaux appels d'offres",
                "Publiés cette semaine, par thème, les plus urgents d'abord.",
                self._by_theme(new),
            ),
            Section(
                "upcoming",
                "À venir",
                "Avis de pré-information : préparez-vous avant la publication.",
                self._by_theme(upcoming),
            ),
            Section(
                "deadlines",
                "Dates limites de la semaine prochaine",
                f"Réponses attendues du {date_fr(next_start.isoformat(), with_time=False)} au "
                f"{date_fr((next_end - timedelta(days=1)).isoformat(), with_time=False)}.",
                [(None, due)],
            ),
            Section(
                "results", "Résultats", "Qui a remporté quoi ; les structures de l'ESS d'abord.", [(None, results)]
            ),
            Section(
                "changes", "Rectificatifs et annulations", "Avis modifiés ou annulés cette semaine.", [(None, changes)]
            ),
        ]
        sections = [s for s in sections if any(entries for _, entries in s.groups)]
        return Issue(
            week=week,
            start=start,
            end=end,
            title=f"Marchés publics et ESS — semaine {week[-2:]} de {week[:4]}",
            period=f"du {date_fr(start.isoformat(), with_time=False)} au {date_fr(end.isoformat(), with_time=False)}",
            intro=intro,
            figures=self._figures(week_rows),
            sections=sections,
        )

    def _figures(self, rows: list[dict[str, Any]]) -> list[tuple[str, str]]:
        total = len(rows)
        per_theme: dict[str, int] = {}
        social = 0
        for r in rows:
            for t in json.loads(r["c_themes"] or "[]"):
                if t["code"] in self.filter.themes:
                    per_theme[t["code"]] = per_theme.get(t["code"], 0) + 1
            s = json.loads(r["c_social"] or "{}")
            social += bool(s.get("reserved_contract", {}).get("value") or s.get("insertion_clause", {}).get("value"))
        figures = [("Avis publiés cette semaine", f"{total}")]
        for code in self.filter.themes:
            if per_theme.get(code):
                figures.append((self.labels.get(code, code), f"{per_theme[code]}"))
        share = f"{100 * social / total:.0f} %" if total else "—"
        figures.append(("Avis avec clause d'insertion ou réservés à l'ESS et à l'insertion", f"{social} ({share})"))
        return figures


def _utc(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def read_intro(directory: Path, week: str) -> list[str]:
    """The editor's introduction for the week: DIR/<week>.md (or .txt), paragraphs separated by blank lines."""
    for suffix in (".md", ".txt"):
        path = directory / f"{week}{suffix}"
        if path.exists():
            text = path.read_text(encoding="utf-8").strip()
            return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]
    return []
