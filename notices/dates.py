"""Dates and instants as French notices write them, turned into dates and timezone-aware datetimes.

One place for every form: ISO with or without offset ("2026-02-16T12:00:00.000+01:00", "2026-02-27T12:00:00"
which is Paris local time), eForms split date/time with offsets ("2026-10-02+02:00" + "12:00:00+02:00"),
legacy BOAMP "2006-07-4", numeric "15/09/2020 12:00", and French words ("1er septembre 2006", ", à 17 h 15").
A time without an offset is Paris time. Nothing is guessed: text without a full date gives None.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")

MONTHS = {
    "janvier": 1,
    "janv": 1,
    "fevrier": 2,
    "février": 2,
    "fevr": 2,
    "févr": 2,
    "mars": 3,
    "avril": 4,
    "avr": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7,
    "juil": 7,
    "aout": 8,
    "août": 8,
    "septembre": 9,
    "sept": 9,
    "octobre": 10,
    "oct": 10,
    "novembre": 11,
    "nov": 11,
    "decembre": 12,
    "décembre": 12,
    "dec": 12,
    "déc": 12,
}

_ISO_DATE = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})(Z|[+-]\d{2}:?\d{2})?\s*$")
_ISO_DT = re.compile(r"^\s*\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_NUM_DATE = re.compile(r"(?<!\d)(\d{1,2})[/.](\d{1,2})[/.](\d{4})(?!\d)")
_WORD_DATE = re.compile(
    r"(?<![\w])(\d{1,2})(?:er)?\s+(" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?\s+(\d{4})",
    re.IGNORECASE,
)
_TIME = re.compile(
    r"(?<!\d)(\d{1,2})\s*(?:h|heures?|:)\s*(\d{2})?(?:\s*(?:min(?:utes?)?|:\d{2}))?(?!\d)", re.IGNORECASE
)
_ISO_TIME = re.compile(r"^\s*(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?\s*$")


def _offset(tz: str | None) -> tzinfo | None:
    if not tz:
        return None
    if tz == "Z":
        return UTC
    sign = -1 if tz[0] == "-" else 1
    digits = tz[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:4])))


@lru_cache(maxsize=4096)
def parse_date(value: str | None) -> date | None:
    """A calendar date from ISO ("2006-07-4", "2026-09-11+02:00"), "15/09/2020" or "1er septembre 2006"."""
    if not value:
        return None
    m = _ISO_DATE.match(value)
    if m:
        return _safe_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if _ISO_DT.match(value):  # an instant: its calendar day in Paris (TED's "2022-02-06T23:00:00Z" is the 7th)
        dt = parse_datetime(value)
        return dt.astimezone(PARIS).date() if dt else None
    m = _NUM_DATE.search(value)
    if m:
        return _safe_date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    m = _WORD_DATE.search(value)
    if m:
        return _safe_date(int(m.group(3)), MONTHS[m.group(2).lower()], int(m.group(1)))
    return None


def _safe_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def parse_time(value: str | None) -> tuple[time, tzinfo | None] | None:
    """ "12:00:00+02:00" -> (12:00, +02:00); ", à 17 h 15" -> (17:15, None); no hour -> None."""
    if not value:
        return None
    m = _ISO_TIME.match(value)
    if m:
        t = _safe_time(int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))
        return (t, _offset(m.group(4))) if t else None
    m = _TIME.search(value)
    if m:
        t = _safe_time(int(m.group(1)), int(m.group(2) or 0), 0)
        return (t, None) if t else None
    return None


def _safe_time(h: int, mi: int, s: int) -> time | None:
    if h == 24 and mi == 0:
        return time(23, 59, 59)
    try:
        return time(h, mi, s)
    except ValueError:
        return None


_RFC822 = re.compile(r"^\s*(?:[A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{4}\s+\d{1,2}:\d{2}")
_RELATIVE = re.compile(
    r"\b(aujourd.?hui|demain|hier|apr[eè]s-demain|avant-hier|dans\s+\d+|il\s+y\s+a|prochain|derni[eè]re?|"
    r"today|tomorrow|yesterday|ago|next|last)\b",
    re.IGNORECASE,
)


@lru_cache(maxsize=8192)
def parse_datetime(value: str | None, *, default_tz: tzinfo = PARIS) -> datetime | None:
    """An aware instant from any form the sources use, or None; never a guess.

    Fast paths first: ISO 8601 (naive = Paris time), RFC 822 ("Sat, 14 Mar 2026 12:00:00 +0100", feeds),
    then French numeric and worded dates with an hour ("15/09/2020 12:00", "19/06/2026 à 12h00",
    "vendredi 13 mars 2026 - 12:00", "1er septembre 2006, à 17 h 15"), and dateparser last (French,
    day-month-year, Paris time, day, month and year all required). Relative dates ("aujourd'hui",
    "demain") and dates without a year are rejected. A bare date (no hour) is not an instant: `deadline()`
    decides what a date-only deadline means.
    """
    if not value or not value.strip():
        return None
    if _ISO_DT.match(value):
        try:
            dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        return dt if dt.tzinfo else dt.replace(tzinfo=default_tz)
    if _RELATIVE.search(value):
        return None
    if _RFC822.match(value):
        try:
            dt = parsedate_to_datetime(value.strip())
        except (TypeError, ValueError):
            dt = None
        if dt is not None:
            return dt if dt.tzinfo else dt.replace(tzinfo=default_tz)
    d = parse_date(value)
    if d is not None:
        rest = _NUM_DATE.sub(" ", value) if _NUM_DATE.search(value) else _WORD_DATE.sub(" ", value)
        t = parse_time(rest)
        return datetime.combine(d, t[0], tzinfo=t[1] or default_tz) if t else None
    return _dateparser(value, default_tz)


def _dateparser(value: str, default_tz: tzinfo) -> datetime | None:
    """The slow, general path: only when the regex paths found no date, and only with an hour stated."""
    if not re.search(r"\d{4}", value) or not _TIME.search(value):
        return None
    import dateparser

    dt = dateparser.parse(
        value,
        languages=["fr", "en"],
        settings={
            "DATE_ORDER": "DMY",
            "TIMEZONE": "Europe/Paris",
            "RETURN_AS_TIMEZONE_AWARE": True,
            "REQUIRE_PARTS": ["day", "month", "year"],
            "PREFER_DAY_OF_MONTH": "first",
        },
    )
    if dt is None:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=default_tz)


def parse_instant(value: str | None) -> datetime | None:
    """The one date function for scraped text: an instant, or a date-only deadline (end of day, Paris)."""
    return deadline(value)


def deadline(date_value: str | None, time_value: str | None = None) -> datetime | None:
    """The response deadline from a date (any form above) and an optional separate time.

    A deadline stated without an hour is taken as the end of that day in Paris (23:59:59): the notice
    promises that day, and an alert must not drop a tender that is still open.
    """
    if not date_value:
        return None
    if (
        time_value is None
        and not _ISO_DATE.match(date_value)
        and (_ISO_DT.match(date_value) or _TIME.search(_strip_dates(date_value)))
    ):
        return parse_datetime(date_value)
    m = _ISO_DATE.match(date_value)
    d = parse_date(date_value)
    if d is None:
        return None
    date_tz = _offset(m.group(4)) if m else None
    t = parse_time(time_value) if time_value else None
    if t is None:
        return datetime.combine(d, time(23, 59, 59), tzinfo=date_tz or PARIS)
    return datetime.combine(d, t[0], tzinfo=t[1] or date_tz or PARIS)


def _strip_dates(value: str) -> str:
    return _WORD_DATE.sub(" ", _NUM_DATE.sub(" ", value))
