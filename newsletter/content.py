"""What goes into a week's newsletter: selection, sections, grouping and key figures.

The week runs Monday to Sunday (ISO week, Paris). Notices are selected by the configured filter (themes,
the event, social flags, places) and shown once per tender (procedure). Sections: new calls for tenders
grouped by theme, upcoming tenders (prior information), deadlines of the coming week, results (ESS
winners first), corrections and cancellations. Empty sections are left out. Everything is ordered by
stable keys, so the same archive and week always give the same newsletter.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlite_utils

from archive.tenders import Tender, TenderNotice, tenders_due, tenders_published
from classify.text import phrase_key, tokens
from formatting import RESERVED_KINDS, date_fr, display_text, money_fr, safe_url
from notices.dates import PARIS
from settings import WatchError

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


class WeekError(WatchError, ValueError):
    """Not an ISO week (2026-W49)."""


def parse_week(text: str) -> tuple[date, date]:
    m = re.match(r"^(\d{4})-W(\d{2})$", text)
    if not m:
        raise WeekError(f"expected an ISO week like 2026-W49, got {text!r}")
    try:
        start = date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
    except ValueError as exc:
        raise WeekError(f"{text}: {exc}") from None
    return start, start + timedelta(days=6)


def last_complete_week(today: date) -> str:
    year, week, _ = (today - timedelta(days=today.isoweekday())).isocalendar()
    return f"{year}-W{week:02d}"


def is_ess(name: str) -> bool:
    words = tokens(name).keys
    return any(tuple(words[i : i + len(k)]) == k for k in _ESS_KEYS for i in range(len(words) - len(k) + 1))


Listed = tuple[str, TenderNotice]  # a notice, with the key of its tender (one entry per tender)


def _listed(tenders: list[Tender]) -> list[Listed]:
    return [(t.key, n) for t in tenders for n in t.notices]


class Compiler:
    def __init__(self, db: sqlite_utils.Database, flt: Filter, labels: dict[str, str]):
        self.db = db
        self.filter = flt
        self.labels = labels

    def _relevant(self, notice: TenderNotice) -> bool:
        if self.filter.departements and not set(notice.departements) & set(self.filter.departements):
            return False
        if any(code in self.filter.themes for code in notice.classification_codes):
            return True
        if self.filter.event and notice.event_name:
            return True
        return self.filter.social_flags and notice.social.reserved_or_insertion

    def _entry(self, key: str, notice: TenderNotice) -> Entry:
        themes = [t for t in notice.themes if t.code in self.filter.themes]
        social = notice.social
        flags = []
        if social.reserved_contract:
            kinds = [RESERVED_KINDS.get(k, k) for k in social.reserved_kinds]
            flags.append("Marché réservé" + (f" ({', '.join(kinds)})" if kinds and kinds != ["marché réservé"] else ""))
        if social.insertion_clause:
            flags.append("Clause d'insertion")
        if social.social_criterion:
            flags.append("Critère social")
        winners = [
            Winner(a.winner, money_fr(a.amount, a.currency) or None, is_ess(a.winner))
            for a in notice.awards
            if a.winner
        ]
        place = notice.place or ", ".join(notice.departements) or None
        return Entry(
            key=key,
            title=display_text(notice.title, 300) or "",
            buyer=display_text(notice.buyer_name, 200),
            place=display_text(place, 120),
            deadline=date_fr(notice.deadline) if notice.deadline else None,
            value=money_fr(notice.value, notice.currency) if notice.value else None,
            url=safe_url(notice.url),
            themes=[self.labels.get(t.code, t.code) for t in themes],
            main_theme=self.labels.get(themes[0].code) if themes else None,
            flags=flags,
            event=notice.event_name,
            status=notice.status,
            winners=sorted(winners, key=lambda w: (not w.ess, w.name)),
            sort=(notice.deadline_utc or "9999", notice.title or "", key),
        )

    def _once(self, listed: list[Listed]) -> list[Entry]:
        """One entry per tender (a BOAMP notice and its TED twin are one), the latest notice winning."""
        by_key: dict[str, TenderNotice] = {}
        for key, notice in listed:
            if self._relevant(notice):
                by_key[key] = notice
        entries = []
        for key, notice in by_key.items():
            try:
                entries.append(self._entry(key, notice))
            except (ValueError, TypeError, KeyError) as exc:  # one bad notice never stops the newsletter
                logger.warning("newsletter: notice %s left out: %s: %s", key, type(exc).__name__, exc)
        return sorted(entries, key=lambda e: e.sort)

    def _by_theme(self, entries: list[Entry]) -> list[tuple[str | None, list[Entry]]]:
        groups: dict[str, list[Entry]] = {}
        for e in entries:
            groups.setdefault(e.main_theme or "Autres marchés signalés", []).append(e)
        order = [self.labels[c] for c in self.filter.themes if c in self.labels] + ["Autres marchés signalés"]
        return [(g, groups[g]) for g in order if g in groups]

    def compile(self, week: str, intro: list[str]) -> Issue:
        start, end = parse_week(week)
        listed = _listed(tenders_published(self.db, start.isoformat(), end.isoformat()))
        new = self._once([(k, n) for k, n in listed if n.kind == "contract_notice" and n.status == "initial"])
        upcoming = self._once([(k, n) for k, n in listed if n.kind == "prior_information" and n.status == "initial"])
        results = self._once([(k, n) for k, n in listed if n.kind == "award"])
        results.sort(key=lambda e: (not any(w.ess for w in e.winners), e.sort))
        changes = self._once([(k, n) for k, n in listed if n.status in ("corrigendum", "cancellation")])
        next_start = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=PARIS)
        next_end = next_start + timedelta(days=7)
        due = self._once(_listed(tenders_due(self.db, _utc(next_start), _utc(next_end), end.isoformat())))
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
            figures=self._figures([n for _, n in listed]),
            sections=sections,
        )

    def _figures(self, notices: list[TenderNotice]) -> list[tuple[str, str]]:
        total = len(notices)
        per_theme: dict[str, int] = {}
        social = 0
        for n in notices:
            for code in n.classification_codes:
                if code in self.filter.themes:
                    per_theme[code] = per_theme.get(code, 0) + 1
            social += n.social.reserved_or_insertion
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
