"""What goes into a week's newsletter: selection, sections, grouping and key figures.

The week runs Monday to Sunday (ISO week, Paris). Notices are selected by the configured filter (themes,
the event, social flags, places) and shown once per tender (procedure). Sections: new calls for tenders
grouped by theme, upcoming tenders (prior information), deadlines of the coming week, results (ESS
winners first), corrections and cancellations. An empty section keeps its title and says so in one line.

A tender appears once, in its best section, by this precedence (SECTION_PRECEDENCE): its result (the
tender is over), then a cancellation or a corrigendum (what the reader must know changed), then a new call,
then a prior information notice, and last the deadlines of the coming week (a call published earlier whose
deadline is near). So a call published and corrected in the same week is listed once, under the corrections,
with what changed.

The key figures are computed from exactly the entries listed (one list feeds both), and the picture of the
week (newsletter/chart.py) from the same entries against the previous weeks. Everything is ordered by
stable keys, so the same archive and week always give the same newsletter.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlite_utils

from archive.changes import Change, changes
from archive.tenders import Tender, TenderNotice, query_tenders, tenders_due, tenders_published, tenders_upcoming
from classify.text import phrase_key, tokens
from formatting import RESERVED_KINDS, date_fr, display_text, money_fr, safe_url
from formatting.buyers import short_buyer
from formatting.french import number_fr, percent_fr
from formatting.places import place_label
from formatting.upcoming import announced_line
from notices.dates import PARIS
from observatory.filters import quarter_closed_in
from observatory.indicators import DEFAULT_TARGETS, compute
from observatory.records import read_awarded
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

# Where a tender goes when it qualifies for several sections: the first of these (see the module's docstring).
SECTION_PRECEDENCE = ("results", "changes", "new", "upcoming", "deadlines")
# How a reader knows each source; another buyer platform is named as configured (platforms.*.name).
SOURCES = {"boamp": "BOAMP", "ted": "TED", "approch": "APProch", "place": "PLACE", "maximilien": "Maximilien"}
OTHERS = "Autres marchés signalés"
PREVIOUS_WEEKS = 4  # the picture of the week compares the week with the average of the 4 weeks before
SOON_DAYS = 7  # the chapô names the deadlines closing within a week of the issue
UPCOMING_DAYS = 28  # "À venir" also recalls the announced purchases whose call is expected within four weeks


def source_label(source: str) -> str:
    return SOURCES.get(source, source)


@dataclass
class Filter:
    themes: list[str]
    event: bool = True
    social_flags: bool = True
    departements: list[str] = field(default_factory=list)
    charter_target: float = DEFAULT_TARGETS["sme_ess"]  # the observatory block's target (observatory.targets)


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
    source: str = ""  # BOAMP, TED or the platform's name
    published: str | None = None  # "lundi 7 septembre 2026"
    status_label: str | None = None  # "Annulé", "Rectifié": shown as a status, never glued to the title
    changes: list[str] = field(default_factory=list)  # what a corrigendum changed, in French
    winners: list[Winner] = field(default_factory=list)
    lead: str | None = None  # a partnering lead's reason, in French (newsletter/leads.py)
    amount: float | None = None  # the estimated value, for the chapô's "largest tender"
    deadline_utc: str | None = None
    sort: tuple = ()
    # The upcoming-purchase stage: the day the call is expected, what the deadline of a PIN used as a call for
    # competition is (the day to express interest by), and when a call was announced before it came out.
    expected: str | None = None
    deadline_label: str = "Date limite"
    announced: str | None = None

    @property
    def social(self) -> bool:
        """Reserved to the ESS / sheltered work, or with an insertion clause (what the key figures count)."""
        return any(f.startswith("Marché réservé") or f == "Clause d'insertion" for f in self.flags)

    @property
    def provenance(self) -> str:
        """ "BOAMP, publié le lundi 7 septembre 2026": where and when the item was published."""
        return self.source + (f", publié le {self.published}" if self.published else "")


@dataclass
class Section:
    key: str
    title: str
    note: str
    groups: list[tuple[str | None, list[Entry]]]
    empty: str = ""  # the line shown when the section has no entry

    @property
    def entries(self) -> list[Entry]:
        return [e for _, entries in self.groups for e in entries]


@dataclass
class ChartRow:
    label: str
    week: int
    average: float  # over the PREVIOUS_WEEKS weeks before


@dataclass
class Chart:
    """The data of the picture of the week (also shown as a table)."""

    rows: list[ChartRow]
    social: int  # listed entries reserved or with an insertion clause
    total: int
    weeks: int = PREVIOUS_WEEKS

    @property
    def share(self) -> str:
        return f"{100 * self.social / self.total:.0f}\u00a0%" if self.total else "—"


@dataclass
class ObservatoryBlock:
    """The quarter that closed in the week, in a few lines (the full report is the observatory's)."""

    title: str
    lines: list[str]
    report: str  # the report's file name, as `run_watch.py observatory` writes it


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
    intro_draft: bool = False  # the intro is the generated chapô, for the editor to rewrite
    empty: str | None = None  # the line of a week without any tender
    chart: Chart | None = None
    number: int = 0
    observatory: ObservatoryBlock | None = None  # when a quarter closed in the week

    @property
    def entries(self) -> list[Entry]:
        """The tenders listed (the partnering leads, which may list a tender again, apart)."""
        return [e for s in self.sections if s.key != "leads" for e in s.entries]


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


_CANCELLED_SUFFIX = re.compile(r"\s*[-–—(\[]*\s*(annulation|annulé|avis d'annulation)\s*[)\]]*\s*$", re.IGNORECASE)
STATUS_LABELS = {"cancellation": "Annulé", "corrigendum": "Rectifié"}


def describe_change(change: Change) -> str:
    """A corrigendum's change as the reader wants it: "date limite : lundi 13 … → lundi 20 …"."""

    def fmt(value: object) -> str:
        if value in (None, ""):
            return "non précisé"
        if change.field == "deadline_utc":
            return date_fr(str(value))
        if change.field == "value":
            return money_fr(float(value))  # type: ignore[arg-type]
        return display_text(str(value), 200) or ""

    label = {
        "deadline_utc": "date limite",
        "value": "montant estimé",
        "title": "intitulé",
        "buyer_name": "acheteur",
        "place": "lieu",
    }.get(change.field, change.field)
    if change.field == "title":
        return f"nouvel intitulé : «\u00a0{fmt(change.after)}\u00a0»"
    return f"{label} : {fmt(change.before)} → {fmt(change.after)}"


class Compiler:
    def __init__(self, db: sqlite_utils.Database, flt: Filter, labels: dict[str, str]):
        self.db = db
        self.filter = flt
        self.labels = labels
        self.announced: dict[str, Tender] = {}  # the week's tenders announced before their call (archive.upcoming)

    def _relevant(self, notice: TenderNotice) -> bool:
        if self.filter.departements and not set(notice.departements) & set(self.filter.departements):
            return False
        if any(code in self.filter.themes for code in notice.classification_codes):
            return True
        if self.filter.event and notice.event_name:
            return True
        return self.filter.social_flags and notice.social.reserved_or_insertion

    def _main_theme(self, notice: TenderNotice) -> str | None:
        themes = [t for t in notice.themes if t.code in self.filter.themes]
        return self.labels.get(themes[0].code, themes[0].code) if themes else None

    def _entry(self, key: str, notice: TenderNotice, tender: Tender | None = None) -> Entry:
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
        place = place_label(
            display_text(notice.place, 200),
            notice.departements,
            city=notice.buyer_city,
            postal_code=notice.buyer_postal_code,
        )
        title = display_text(notice.title, 300) or ""
        if notice.status == "cancellation":
            title = _CANCELLED_SUFFIX.sub("", title) or title
        what_changed = []
        if notice.status == "corrigendum" and tender is not None:
            what_changed = [describe_change(c) for c in changes(tender, _same(tender, notice))]
        return Entry(
            key=key,
            title=title,
            buyer=short_buyer(display_text(notice.buyer_name, 400)),
            place=display_text(place, 120),
            deadline=date_fr(notice.deadline) if notice.deadline else None,
            value=money_fr(notice.value, notice.currency) if notice.value else _band(notice.value_band),
            url=safe_url(notice.url),
            themes=[self.labels.get(t.code, t.code) for t in themes],
            main_theme=self._main_theme(notice),
            flags=flags,
            event=notice.event_name,
            status=notice.status,
            source=source_label(notice.source),
            published=date_fr(notice.published, with_time=False) if notice.published else None,
            status_label=STATUS_LABELS.get(notice.status),
            changes=what_changed,
            winners=sorted(winners, key=lambda w: (not w.ess, w.name)),
            amount=notice.value if (notice.currency or "EUR") == "EUR" else None,
            deadline_utc=notice.deadline_utc,
            sort=(notice.deadline_utc or notice.expected_publication or "9999", notice.title or "", key),
            expected=_day(notice.expected_publication) if notice.kind == "prior_information" else None,
            deadline_label="Se manifester avant" if notice.kind == "prior_information" else "Date limite",
            announced=self._announced(key, notice),
        )

    def _announced(self, key: str, notice: TenderNotice) -> str | None:
        """ "Annoncé le …, publié le …" for a call its buyer announced (a PIN, APProch) before publishing it."""
        tender = self.announced.get(key)
        if tender is None or notice.kind != "contract_notice":
            return None
        return announced_line(notice.published, announced_on=tender.announced_on, expected=tender.announced_for)

    def _latest(self, listed: list[Listed]) -> dict[str, TenderNotice]:
        """One notice per tender (a BOAMP notice and its TED twin are one), the latest relevant one winning."""
        by_key: dict[str, TenderNotice] = {}
        for key, notice in listed:
            if self._relevant(notice):
                by_key[key] = notice
        return by_key

    def _once(self, listed: list[Listed], tenders: dict[str, Tender] | None = None) -> list[Entry]:
        entries = []
        for key, notice in self._latest(listed).items():
            try:
                entries.append(self._entry(key, notice, (tenders or {}).get(key)))
            except (ValueError, TypeError, KeyError) as exc:  # one bad notice never stops the newsletter
                logger.warning("newsletter: notice %s left out: %s: %s", key, type(exc).__name__, exc)
        return sorted(entries, key=lambda e: e.sort)

    def _whole(self, keys: list[str]) -> dict[str, Tender]:
        """Every notice of these tenders (what a corrigendum corrects may be older than the week)."""
        found: dict[str, Tender] = {}
        keys = sorted(set(keys))
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            marks = ", ".join("?" for _ in chunk)
            where = f"coalesce(pn.procedure_id, n.source || ':' || n.source_id) in ({marks})"
            order = "coalesce(pn.position, 0), n.published, n.source, n.source_id"
            found.update({t.key: t for t in query_tenders(self.db, where, chunk, order)})
        return found

    def _by_theme(self, entries: list[Entry]) -> list[tuple[str | None, list[Entry]]]:
        groups: dict[str, list[Entry]] = {}
        for e in entries:
            groups.setdefault(e.main_theme or OTHERS, []).append(e)
        order = [self.labels[c] for c in self.filter.themes if c in self.labels] + [OTHERS]
        return [(g, groups[g]) for g in order if g in groups]

    def compile(self, week: str, intro: list[str]) -> Issue:
        start, end = parse_week(week)
        published = tenders_published(self.db, start.isoformat(), end.isoformat())
        self.announced = {t.key: t for t in published if t.announced_by}
        listed = _listed(published)
        horizon = (end + timedelta(days=UPCOMING_DAYS)).isoformat()
        coming = _listed(tenders_upcoming(self.db, start.isoformat(), end.isoformat(), horizon))
        changed = [(k, n) for k, n in listed if n.status in ("corrigendum", "cancellation")]
        next_start = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=PARIS)
        next_end = next_start + timedelta(days=SOON_DAYS)
        due = _listed(tenders_due(self.db, _utc(next_start), _utc(next_end), end.isoformat()))
        candidates = {
            "results": self._once([(k, n) for k, n in listed if n.kind == "award"]),
            "changes": self._once(changed, self._whole([k for k, _ in changed])),
            "new": self._once([(k, n) for k, n in listed if n.kind == "contract_notice" and n.status == "initial"]),
            "upcoming": self._once(coming),
            "deadlines": self._once(due),
        }
        candidates["results"].sort(key=lambda e: (not any(w.ess for w in e.winners), e.sort))
        placed: set[str] = set()
        for key in SECTION_PRECEDENCE:  # a tender appears once, in its best section
            candidates[key] = [e for e in candidates[key] if e.key not in placed]
            placed.update(e.key for e in candidates[key])
        day = lambda d: date_fr(d.isoformat(), with_time=False)  # noqa: E731
        sections = [
            Section(
                "new",
                "Nouveaux appels d'offres",
                "Publiés cette semaine, par thème, les plus urgents d'abord.",
                self._by_theme(candidates["new"]),
                "Aucun nouvel appel d'offres cette semaine.",
            ),
            Section(
                "upcoming",
                "À venir",
                "Achats annoncés par les acheteurs (avis de pré-information, programmes d'achats), publiés cette "
                "semaine ou attendus dans les quatre semaines : préparez-vous avant l'appel d'offres.",
                self._by_theme(candidates["upcoming"]),
                "Aucun avis de pré-information ni projet d'achat annoncé cette semaine.",
            ),
            Section(
                "deadlines",
                "Dates limites de la semaine prochaine",
                f"Réponses attendues du {day(next_start)} au {day(next_end - timedelta(days=1))}.",
                [(None, candidates["deadlines"])],
                "Aucune date limite la semaine prochaine parmi les marchés suivis.",
            ),
            Section(
                "results",
                "Résultats",
                "Qui a remporté quoi ; les structures de l'ESS d'abord.",
                [(None, candidates["results"])],
                "Aucun résultat d'attribution cette semaine.",
            ),
            Section(
                "changes",
                "Rectificatifs et annulations",
                "Avis modifiés ou annulés cette semaine, avec ce qui a changé.",
                [(None, candidates["changes"])],
                "Aucun rectificatif ni aucune annulation cette semaine.",
            ),
        ]
        for s in sections:
            s.groups = [(g, es) for g, es in s.groups if es]
        entries = [e for s in sections for e in s.entries]  # the one list: figures, chapô and chart read it
        number = int(week[-2:])
        issue = Issue(
            week=week,
            start=start,
            end=end,
            title=f"Marchés publics et ESS — semaine {number} de {week[:4]}",
            period=f"du {day(start)} au {day(end)}",
            intro=intro,
            figures=self._figures(entries),
            sections=sections if entries else [],
            number=number,
        )
        if not entries:
            issue.empty = "Aucun marché en lien avec l'ESS n'a été repéré cette semaine."
        else:
            issue.chart = self._chart(entries, start)
        if not intro and entries:
            issue.intro, issue.intro_draft = chapo(entries, issue.chart, _utc(next_start), _utc(next_end)), True
        issue.observatory = self._observatory(start, end)
        return issue

    def _observatory(self, start: date, end: date) -> ObservatoryBlock | None:
        """The quarter whose last day is in the week: its awarded contracts against the charter's target."""
        quarter = quarter_closed_in(start, end)
        if quarter is None:
            return None
        i = compute([r for r in read_awarded(self.db) if quarter.holds(r.day)], self.filter.charter_target)
        title = f"Observatoire : {quarter.label}"
        report = f"observatory-{quarter.name}.html"
        if not i.contracts:
            return ObservatoryBlock(title, ["Aucun marché attribué n'est connu pour ce trimestre."], report)
        target = percent_fr(self.filter.charter_target, 0)
        lines = [
            f"{number_fr(i.contracts)} marché{'s' if i.contracts > 1 else ''} attribué{'s' if i.contracts > 1 else ''}"
            f" pour {money_fr(i.amount)} HT.",
            f"TPE/PME et structures de l'ESS : part inconnue, aucun titulaire de ces marchés n'est connu du répertoire"
            f" des entreprises (objectif de la charte : {target})."
            if (i.charter.unknown_of_amounts or 0) >= 0.9995
            else f"TPE/PME et structures de l'ESS : {percent_fr(i.charter.of_amounts)} des montants (objectif de la"
            f" charte : {target}) ; titulaire inconnu pour {percent_fr(i.charter.unknown_of_amounts)} des montants.",
            f"Clause sociale d'insertion : {percent_fr(i.social['clause'].of_number)} des marchés qui déclarent leurs"
            " considérations sociales (les heures d'insertion ne sont pas publiées en données ouvertes).",
        ]
        return ObservatoryBlock(title, lines, report)

    def _figures(self, entries: list[Entry]) -> list[tuple[str, str]]:
        """The key figures, counted over exactly the entries listed (each entry under its main theme)."""
        total = len(entries)
        figures = [("Marchés présentés cette semaine", f"{total}")]
        if not total:
            return figures
        per_theme = Counter(e.main_theme or OTHERS for e in entries)
        for label in [self.labels.get(c, c) for c in self.filter.themes] + [OTHERS]:
            if per_theme.get(label):
                figures.append((label, f"{per_theme[label]}"))
        social = sum(e.social for e in entries)
        figures.append(
            ("Réservés à l'ESS et à l'insertion ou avec clause d'insertion", f"{social} ({100 * social / total:.0f} %)")
        )
        return figures

    def _chart(self, entries: list[Entry], start: date) -> Chart:
        """This week's entries by main theme against the average of the previous weeks (same selection)."""
        before: Counter[str] = Counter()
        for i in range(1, PREVIOUS_WEEKS + 1):
            first = start - timedelta(weeks=i)
            tenders = tenders_published(self.db, first.isoformat(), (first + timedelta(days=6)).isoformat())
            before.update(self._main_theme(n) or OTHERS for n in self._latest(_listed(tenders)).values())
        now = Counter(e.main_theme or OTHERS for e in entries)
        labels = [self.labels.get(c, c) for c in self.filter.themes] + [OTHERS]
        rows = [ChartRow(label, now[label], before[label] / PREVIOUS_WEEKS) for label in labels]
        return Chart([r for r in rows if r.week or r.average], sum(e.social for e in entries), len(entries))


def _same(tender: Tender, notice: TenderNotice) -> TenderNotice | None:
    """The tender's own copy of a notice (changes() compares by identity)."""
    return next((n for n in tender.notices if n.key == notice.key), None)


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def chapo(entries: list[Entry], chart: Chart | None, soon_from: str, soon_to: str) -> list[str]:
    """A draft chapô for the editors to rewrite: the week's count, the leading themes, the largest and the
    reserved tenders, the deadlines closing within SOON_DAYS days."""
    if not entries:
        return ["Aucun marché en lien avec l'ESS n'a été repéré cette semaine."]
    social = [e for e in entries if e.social]
    first = f"Cette semaine, la veille a repéré {_count(len(entries), 'marché', 'marchés')} en lien avec l'ESS"
    if social:
        first += f", dont {len(social)} réservé{'s' if len(social) > 1 else ''} ou avec une clause d'insertion"
    lines = [first + "."]
    themes = Counter(e.main_theme for e in entries if e.main_theme).most_common(2)
    if themes:
        lines.append("En tête : " + " et ".join(f"{label} ({n})" for label, n in themes) + ".")
    valued = [e for e in entries if e.amount]
    if valued:
        big = max(valued, key=lambda e: (e.amount, e.key))
        buyer = f" ({big.buyer})" if big.buyer else ""
        lines.append(f"Le plus important : «\u00a0{big.title}\u00a0»{buyer}, {big.value}.")
    if social:
        lines.append("À signaler pour l'ESS : " + " ; ".join(f"«\u00a0{e.title}\u00a0»" for e in social[:3]) + ".")
    corrected = sum(e.status == "corrigendum" for e in entries)
    cancelled = sum(e.status == "cancellation" for e in entries)
    if corrected or cancelled:
        counts = [
            _count(n, word, word + "s") for n, word in ((corrected, "rectificatif"), (cancelled, "annulation")) if n
        ]
        lines.append(f"À noter aussi : {' et '.join(counts)}.")
    soon = [e for e in entries if e.deadline_utc and soon_from <= e.deadline_utc < soon_to]
    if soon:
        lines.append(
            "À ne pas manquer, dans les sept jours : "
            + " ; ".join(f"«\u00a0{e.title}\u00a0», {e.deadline}" for e in soon[:3])
            + (f" (et {_count(len(soon) - 3, 'autre', 'autres')})" if len(soon) > 3 else "")
            + "."
        )
    return [" ".join(lines)]


def _day(iso: str | None) -> str | None:
    return date_fr(iso[:10], with_time=False) if iso else None


def _band(band: str | None) -> str | None:
    """A source's value band, said to be one ("40k - 100k€ (fourchette)")."""
    text = display_text(band, 60)
    return f"{text} (fourchette)" if text else None


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
