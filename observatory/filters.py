"""Which awarded contracts a figure is about: a period, a buyer, a theme, a département, the event's scope.

Periods are written as the report names them: a year "2024", a quarter "2024-Q3", a month "2024-07", or
from-to "2024-01-15..2024-06-30" (days or months, both ends inclusive). A contract is dated by its
notification (DECP) or its award (notice); one without a date is in no period.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from formatting.french import MOIS, day_fr
from observatory.records import Awarded
from settings import WatchError

QUARTER_NAMES = ("1er trimestre", "2e trimestre", "3e trimestre", "4e trimestre")


class PeriodError(WatchError, ValueError):
    """Not a period the observatory reads (2024, 2024-Q3, 2024-07, 2024-01-01..2024-06-30)."""


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    name: str  # as written, and in the file names: "2024", "2024-Q3", "2024-07", "2024-01-01_2024-06-30"
    label: str  # in French: "année 2024", "3e trimestre 2024", "juillet 2024", "du 1er janvier ... au ..."

    def holds(self, day: str | None) -> bool:
        return bool(day) and self.start.isoformat() <= day[:10] <= self.end.isoformat()  # type: ignore[index]

    def months(self) -> list[str]:
        """Every month the period touches ("2024-01" ...), for a chart that shows empty months too."""
        out, y, m = [], self.start.year, self.start.month
        while (y, m) <= (self.end.year, self.end.month):
            out.append(f"{y:04d}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out


def month_label(month: str) -> str:
    """ "2024-07" -> "juillet 2024"."""
    y, m = month.split("-")
    return f"{MOIS[int(m) - 1]} {y}"


def _month(text: str, end: bool = False) -> date:
    y, m = int(text[:4]), int(text[5:7])
    return date(y, m, calendar.monthrange(y, m)[1] if end else 1)


def _bound(text: str, end: bool) -> date:
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return date.fromisoformat(text)
    if re.fullmatch(r"\d{4}-\d{2}", text):
        return _month(text, end)
    raise ValueError(text)


def parse_period(text: str) -> Period:
    text = text.strip()
    try:
        if re.fullmatch(r"\d{4}", text):
            y = int(text)
            return Period(date(y, 1, 1), date(y, 12, 31), text, f"année {y}")
        if m := re.fullmatch(r"(\d{4})-[Qq]([1-4])", text):
            y, q = int(m.group(1)), int(m.group(2))
            start = date(y, 3 * q - 2, 1)
            return Period(start, _month(f"{y}-{3 * q:02d}", True), f"{y}-Q{q}", f"{QUARTER_NAMES[q - 1]} {y}")
        if re.fullmatch(r"\d{4}-\d{2}", text):
            return Period(_month(text), _month(text, True), text, month_label(text))
        if ".." in text:
            a, b = (part.strip() for part in text.split("..", 1))
            start, end = _bound(a, False), _bound(b, True)
            if start > end:
                raise PeriodError(f"period {text!r}: the start is after the end")
            return Period(start, end, f"{start}_{end}", f"du {day_fr(start.isoformat())} au {day_fr(end.isoformat())}")
    except ValueError as exc:
        if isinstance(exc, PeriodError):
            raise
        raise PeriodError(f"period {text!r}: not a date ({exc})") from None
    raise PeriodError(f"period {text!r}: expected 2024, 2024-Q3, 2024-07 or 2024-01-01..2024-06-30")


def quarter_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def last_closed_quarter(today: date) -> Period:
    """The last quarter wholly before `today` (on 1 April 2025: 2025-Q1)."""
    return parse_period(quarter_of(parse_period(quarter_of(today)).start - timedelta(days=1)))


def quarter_closed_in(start: date, end: date) -> Period | None:
    """The quarter whose last day falls between `start` and `end` (a newsletter's week), if one does."""
    day = start
    while day <= end:
        quarter = parse_period(quarter_of(day))
        if quarter.end == day:
            return quarter
        day += timedelta(days=1)
    return None


def fold(text: str | None) -> str:
    """Lower case without accents or extra spaces: "Ville  de PARIS" and "ville de paris" match."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).casefold().split())


@dataclass(frozen=True)
class Selection:
    """What to count: every criterion left None lets every contract through."""

    period: Period | None = None
    buyer: str | None = None  # a SIRET (14 digits), a SIREN (9: every establishment), or words of the name
    theme: str | None = None  # a theme code: the contract is in it (main theme or not)
    departement: str | None = None
    event: bool = False  # only the configured event's scope

    def keeps(self, record: Awarded) -> bool:
        if self.period is not None and not self.period.holds(record.day):
            return False
        if self.theme is not None and self.theme not in record.themes:
            return False
        if self.departement is not None and (record.departement or "").upper() != self.departement.upper():
            return False
        if self.event and not record.event:
            return False
        return self.buyer is None or _buyer_matches(self.buyer, record)

    def apply(self, records: Iterable[Awarded]) -> list[Awarded]:
        return [r for r in records if self.keeps(r)]


def _buyer_matches(wanted: str, record: Awarded) -> bool:
    digits = wanted.replace(" ", "")
    if digits.isdigit() and len(digits) in (9, 14):
        return (record.buyer_siret or "").replace(" ", "").startswith(digits)
    return fold(wanted) in fold(record.buyer_name)
