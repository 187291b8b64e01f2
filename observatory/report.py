"""The observatory's report: HTML in French (templates/observatory.html.j2, charts inline, no JavaScript) and
a CSV with one row per contract holding every column a figure is made of, so each figure can be rebuilt
from its contracts (the HTML lists the contracts behind each group in a <details>).
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from formatting import environment, safe_url
from formatting.buyers import short_buyer
from formatting.french import day_fr, money_fr, percent_fr
from formatting.text import display_text
from observatory import charts
from observatory.filters import Period, Selection, month_label
from observatory.indicators import (
    DEFAULT_TARGETS,
    Group,
    Indicators,
    buyer_key,
    combine,
    compute,
    departement_label,
    group,
)
from observatory.records import Awarded

BY_LABELS = {"buyer": "acheteur", "theme": "thème", "month": "mois", "departement": "département"}
LIST_LIMIT = 300  # contracts listed in a group's <details> at most (all of them are in the CSV) ...
LISTED = 6000  # ... and in the whole page: with many groups each lists fewer (at least MIN_LISTED)
MIN_LISTED = 10
DETAILED_GROUPS = 200  # groups with their <details> list (the largest first; every group is in the table)
TOP_BUYERS = 12  # the chart by buyer shows the largest buyers by amount
YES_NO = {True: "oui", False: "non", None: ""}
TRI_FR = {"yes": "oui", "no": "non", "unknown": "inconnu"}
SIZE_FR = {"TPE": "TPE", "PME": "PME", "ETI": "ETI", "GE": "grande entreprise"}


@dataclass
class ChartBlock:
    title: str
    svg: str
    rows: list[tuple[str, Indicators]]
    head: str  # the table's first column: Mois, Thème, Acheteur


@dataclass
class Report:
    title: str
    period: Period
    scope: str | None  # the event's name when the report is limited to it
    selection: list[str]  # the filters, in words
    by: str
    indicators: Indicators
    groups: list[Group]
    charts: list[ChartBlock]
    records: list[Awarded]
    theme_labels: dict[str, str]
    targets: dict[str, float]
    csv_name: str = ""
    origins: dict[str, int] = field(default_factory=dict)
    undated: int = 0  # contracts of the archive without a date (in no period)
    list_limit: int = LIST_LIMIT
    detailed_groups: int = DETAILED_GROUPS

    @property
    def by_number(self) -> bool:
        """No contract states an amount: the shares are shown by number of contracts."""
        return bool(self.indicators.contracts) and not self.indicators.amount

    @property
    def by_label(self) -> str:
        return BY_LABELS[self.by]


def _bars(groups: list[Group], by_number: bool) -> list[charts.Bar]:
    def bar(g: Group) -> charts.Bar:
        c = g.indicators.charter
        known, unknown = (c.of_number, c.unknown_of_number) if by_number else (c.of_amounts, c.unknown_of_amounts)
        return charts.Bar(g.label, known or 0.0, unknown or 0.0)

    return [bar(g) for g in groups]


def _chart_blocks(
    groups_by: Callable[[str], list[Group]], period: Period, target: float, by_number: bool
) -> list[ChartBlock]:
    """The shares by month, theme and buyer: of the amounts, or, when no contract states one (award notices
    often do not), of the number of contracts."""
    what = "des marchés (en nombre)" if by_number else "des montants"
    blocks = []
    by_month = {g.key: g for g in groups_by("month")}
    months = [by_month.get(m) or Group(m, month_label(m), [], compute([], target)) for m in period.months()]
    if len(months) > 1:
        short = [Group(g.key, _short_month(g.key), g.records, g.indicators) for g in months]
        title = f"Part {what} aux TPE/PME et à l'ESS, par mois"
        svg = charts.shares_chart(_bars(short, by_number), target, title, vertical=True, basis=what)
        blocks.append(ChartBlock(title, svg, [(g.label, g.indicators) for g in months], "Mois"))
    size = (lambda g: g.indicators.contracts) if by_number else (lambda g: g.indicators.amount)
    themes = [g for g in groups_by("theme") if size(g)]
    if themes:
        title = f"Part {what} aux TPE/PME et à l'ESS, par thème principal"
        svg = charts.shares_chart(_bars(themes, by_number), target, title, vertical=False, basis=what)
        blocks.append(ChartBlock(title, svg, [(g.label, g.indicators) for g in themes], "Thème principal"))
    buyers = sorted((g for g in groups_by("buyer") if size(g)), key=lambda g: -size(g))
    buyers = buyers[:TOP_BUYERS]
    if buyers:
        most = "par nombre de marchés" if by_number else "par montant"
        title = f"Part {what} aux TPE/PME et à l'ESS, {len(buyers)} premiers acheteurs {most}"
        svg = charts.shares_chart(_bars(buyers, by_number), target, title, vertical=False, basis=what)
        blocks.append(ChartBlock(title, svg, [(g.label, g.indicators) for g in buyers], "Acheteur"))
    return blocks


SHORT_MONTHS = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.")


def _short_month(month: str) -> str:
    """ "2024-02" -> "févr. 2024" (the usual French abbreviations) for a chart's axis."""
    return f"{SHORT_MONTHS[int(month[5:7]) - 1]} {month[:4]}"


def build_report(
    records: list[Awarded],
    selection: Selection,
    *,
    by: str,
    theme_labels: dict[str, str],
    targets: dict[str, float] | None = None,
    scope: str | None = None,
) -> Report:
    """The report of the contracts `selection` keeps (its period is required)."""
    assert selection.period is not None
    targets = {**DEFAULT_TARGETS, **(targets or {})}
    target = targets["sme_ess"]
    kept = sorted(selection.apply(records), key=lambda r: (r.day or "", r.key))
    words = []
    if selection.buyer:
        words.append(f"acheteur : {selection.buyer}")
    if selection.theme:
        words.append(f"thème : {theme_labels.get(selection.theme, selection.theme)}")
    if selection.departement:
        words.append(f"département : {departement_label(selection.departement)}")
    if scope:
        words.append(f"périmètre : {scope}")
    title = f"Observatoire de l'impact — {selection.period.label}" + (f" — {scope}" if scope else "")
    grouped: dict[str, list[Group]] = {}  # each grouping once (the report's own `by` is also a chart's)

    def groups_by(key: str) -> list[Group]:
        if key not in grouped:
            grouped[key] = group(kept, key, theme_labels, target)
        return grouped[key]

    indicators = combine((g.indicators for g in groups_by("month")), target)  # the period from its months
    groups = groups_by(by)
    origins = {"decp": sum(r.origin == "decp" for r in kept), "notice": sum(r.origin == "notice" for r in kept)}
    return Report(
        title=title,
        period=selection.period,
        scope=scope,
        selection=words,
        by=by,
        indicators=indicators,
        groups=groups,
        list_limit=max(MIN_LISTED, min(LIST_LIMIT, LISTED // max(min(len(groups), DETAILED_GROUPS), 1))),
        charts=_chart_blocks(groups_by, selection.period, target, by_number=not indicators.amount),
        records=kept,
        theme_labels=theme_labels,
        targets=targets,
        origins=origins,
        undated=sum(r.day is None for r in records),
    )


def holder_text(r: Awarded) -> str:
    """ "ACME (PME, ESS) ; Régie X (EI)": each holder with what the register says of it."""
    parts = []
    for h in r.holders:
        tags = [SIZE_FR[h.size]] if h.size else []
        if h.ess:
            tags.append("ESS")
        if h.inclusive_kind:
            tags.append(h.inclusive_kind)
        if not h.registered:
            tags.append("inconnu du répertoire")
        name = display_text(h.name, 160) or h.id or "?"
        parts.append(name + (f" ({', '.join(tags)})" if tags else ""))
    return " ; ".join(parts) or "titulaire non précisé"


def social_text(r: Awarded) -> str:
    if not r.social_stated:
        return "non déclarées"
    flags = [label for label, on in (("clause sociale", r.clause), ("critère social", r.criterion),
                                     ("marché réservé", r.reserved)) if on]  # fmt: skip
    return ", ".join(flags) or "aucune"


def render_html(report: Report) -> str:
    env = environment()
    env.filters["pct"] = percent_fr
    env.filters["holders"] = holder_text
    env.filters["social"] = social_text
    env.filters["day_fr"] = day_fr
    env.filters["buyer"] = lambda name: short_buyer(display_text(name, 300)) or "Acheteur non précisé"
    return env.get_template("observatory.html.j2").render(
        r=report, money=money_fr, safe_url=safe_url, tri=TRI_FR, month_label=month_label
    )


CSV_COLUMNS = [
    "cle", "origine", "date", "mois", "acheteur", "siret_acheteur", "objet", "departement", "themes",
    "theme_principal", "groupe", "perimetre_evenement", "montant", "sans_montant", "nb_titulaires", "titulaires",
    "siren_titulaires", "considerations_declarees", "clause_sociale", "critere_social", "marche_reserve",
    "ess", "insertion", "tpe_pme", "charte", "montant_ess", "montant_ess_inconnu", "montant_insertion",
    "montant_insertion_inconnu", "montant_tpe_pme", "montant_tpe_pme_inconnu", "montant_charte",
    "montant_charte_inconnu", "lien",
]  # fmt: skip


TEXT_COLUMNS = ("acheteur", "objet", "titulaires", "groupe")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    """Scraped text a spreadsheet would run as a formula ("=HYPERLINK(...)") is quoted with a leading '."""
    return "'" + text if text.startswith(_FORMULA) else text


def _money(value: float) -> str:
    return f"{value:.2f}"


def csv_rows(report: Report) -> list[list[str]]:
    labels = {}
    for g in report.groups:
        for r in g.records:
            labels[r.key] = g.label
    rows = []
    for r in report.records:
        row = {
            "cle": r.key,
            "origine": "DECP" if r.origin == "decp" else "avis d'attribution",
            "date": r.day or "",
            "mois": r.month or "",
            "acheteur": display_text(r.buyer_name, 300) or "",
            "siret_acheteur": r.buyer_siret or "",
            "objet": display_text(r.object, 500) or "",
            "departement": r.departement or "",
            "themes": ", ".join(r.themes),
            "theme_principal": r.main_theme or "",
            "groupe": labels.get(r.key, buyer_key(r)),
            "perimetre_evenement": f"oui ({r.event_by})" if r.event else "non",
            "montant": _money(r.amount) if r.amount is not None else "",
            "sans_montant": "oui" if r.amount is None else "non",
            "nb_titulaires": str(len(r.holders)),
            "titulaires": holder_text(r),
            "siren_titulaires": ", ".join(h.siren or h.id or "?" for h in r.holders),
            "considerations_declarees": YES_NO[r.social_stated],
            "clause_sociale": YES_NO[r.clause],
            "critere_social": YES_NO[r.criterion],
            "marche_reserve": YES_NO[r.reserved],
            "lien": safe_url(r.url) or "",
        }
        for kind, column in (("ess", "ess"), ("inclusive", "insertion"), ("sme", "tpe_pme"), ("charter", "charte")):
            row[column] = TRI_FR[r.state(kind)]
            row[f"montant_{column}"] = _money(r.amount_part(kind, "yes"))
            row[f"montant_{column}_inconnu"] = _money(r.amount_part(kind, "unknown"))
        for column in TEXT_COLUMNS:
            row[column] = _cell(row[column])
        rows.append([row[c] for c in CSV_COLUMNS])
    return rows


def write_csv(report: Report, path: Path) -> None:
    """`;`-separated UTF-8 with a BOM (as the analysts' exports), amounts with a decimal point."""
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f, delimiter=";")
        w.writerow(CSV_COLUMNS)
        w.writerows(csv_rows(report))
