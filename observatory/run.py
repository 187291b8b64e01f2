"""`run_watch.py observatory` and the quarterly job: read the archive, compute, write the HTML and the CSV.

Files are named `observatory-<period>[-<scope>].html` / `.csv` (`observatory-2024-Q3.html`,
`observatory-2024-paris2024.csv`) in `observatory.out_dir`. The event's scope is named by the slug of the
configured event ("Paris 2024" -> paris2024); "all" is every contract.
"""

from __future__ import annotations

import logging
import re
from datetime import date
from pathlib import Path

from archive.db import open_db
from classify.event import event_from
from classify.taxonomy import load as load_taxonomy
from observatory.filters import Period, Selection, fold, last_closed_quarter, parse_period
from observatory.records import read_awarded
from observatory.report import build_report, render_html, write_csv
from settings import Config, WatchError

logger = logging.getLogger(__name__)
ALL = "all"


class ScopeError(WatchError, ValueError):
    """A scope that is neither "all" nor the configured event's."""


def slug(name: str) -> str:
    """ "Paris 2024" -> "paris2024": the event's scope as the command line and the file names write it."""
    return re.sub(r"[^a-z0-9]+", "", fold(name))


def scopes(config: Config) -> list[str]:
    event = event_from(config)
    return [ALL, slug(event.name)] if event else [ALL]


def theme_labels(config: Config) -> dict[str, str]:
    return {t.code: t.label for t in load_taxonomy(config.optional_path("classify.taxonomy")).themes}


def write_report(
    config: Config,
    period: str | Period | None = None,
    *,
    scope: str = ALL,
    by: str | None = None,
    out: Path | None = None,
    buyer: str | None = None,
    theme: str | None = None,
    departement: str | None = None,
    today: date | None = None,
) -> list[Path]:
    """Write the report of `period` (default: the last closed quarter); returns the HTML and CSV paths."""
    if scope not in scopes(config):
        raise ScopeError(f"observatory: unknown scope {scope!r} (known: {', '.join(scopes(config))})")
    if isinstance(period, str):
        period = parse_period(period)
    period = period or last_closed_quarter(today or date.today())
    event = event_from(config)
    with open_db(config.resolve_path("archive.path")) as db:
        records = read_awarded(db, event)
    selection = Selection(period, buyer=buyer, theme=theme, departement=departement, event=scope != ALL)
    report = build_report(
        records,
        selection,
        by=by or config["observatory.by"],
        theme_labels=theme_labels(config),
        targets=config["observatory.targets"],
        scope=event.name if scope != ALL and event else None,
    )
    directory = out or config.resolve_path("observatory.out_dir")
    directory.mkdir(parents=True, exist_ok=True)
    stem = f"observatory-{period.name}" + ("" if scope == ALL else f"-{scope}")
    report.csv_name = f"{stem}.csv"
    html, csv_path = directory / f"{stem}.html", directory / f"{stem}.csv"
    html.write_text(render_html(report), encoding="utf-8")
    write_csv(report, csv_path)
    i = report.indicators
    logger.info(
        "observatory %s (%s): %d contract(s), %.0f EUR, %s to TPE/PME/ESS (unknown %s) -> %s",
        period.name,
        scope,
        i.contracts,
        i.amount,
        f"{100 * i.charter.of_amounts:.1f} %" if i.charter.of_amounts is not None else "-",
        f"{100 * i.charter.unknown_of_amounts:.1f} %" if i.charter.unknown_of_amounts is not None else "-",
        html,
    )
    return [html, csv_path]


def recorded_years(config: Config) -> list[str]:
    """The years holding awarded contracts (DECP or award notices) in the archive: the demo's periods."""
    with open_db(config.resolve_path("archive.path")) as db:
        days = [r.day for r in read_awarded(db, None) if r.day]
    return sorted({d[:4] for d in days})
