"""Values checked where they enter: every mapped notice passes here before it reaches the archive.

A source can send anything: a publication date in year 9999, 30 February, a number where a date belongs, a
NUL byte or markup in a title, a `javascript:` link, a megabyte of description, an identifier given as a list.
One such value must not poison every later stage, nor be silently stored as something else. So:

- a notice whose identity or publication date cannot be trusted is refused (`RecordError`): the spider puts
  the record in quarantine with the reason, and the crawl goes on;
- a value that can be set aside is: a bad deadline becomes "deadline unknown" (`deadline_unknown`, never
  "open"), a bad link is dropped (the notice keeps the link built from its id), an impossible amount is
  cleared; each leaves a warning in `notice.warnings`, stored with the notice;
- text loses its control characters and is capped at a documented length (the raw record keeps everything).
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, timedelta

from formatting import clean_text, display_text, safe_url
from notices.model import Notice
from settings import WatchError

EARLIEST = date(1990, 1, 1)
YEARS_AHEAD = 10
MAX_AMOUNT = 1e12  # euros: more than any public contract; beyond it the value is a typo or garbage

# Longest text kept per field, in characters (the raw record keeps the whole value).
LIMITS = {
    "title": 1_000,
    "description": 10_000,
    "notes": 20_000,
    "place": 500,
    "reference": 200,
    "buyer.name": 500,
    "buyer.city": 200,
    "lot.title": 1_000,
    "lot.description": 5_000,
    "award.winner": 500,
}
_ID = re.compile(r"^[\w.:/@+-]{1,200}$")

# The notice's own page at its source, built from its id: the mappers' default, and what replaces a link that
# cannot be used.
SOURCE_LINKS = {
    "boamp": "https://www.boamp.fr/pages/avis/?q=idweb:{id}",
    "ted": "https://ted.europa.eu/fr/notice/-/detail/{id}",
}


class RecordError(WatchError, ValueError):
    """A record that cannot be mapped or trusted: it goes to quarantine with this message.

    Every mapper (BOAMP, TED, eForms, platforms) raises this one type; it is a ValueError too, so callers that
    catch ValueError keep working.
    """


ONE_LINE = frozenset({"title", "place", "reference"})

__all__ = ["LIMITS", "SOURCE_LINKS", "RecordError", "check", "clean_text", "date_bounds", "display_text", "safe_url"]


def _amount(value: float | None, what: str, warnings: list[str]) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        warnings.append(f"{what} {value!r} is not a number: set aside")
        return None
    if value < 0 or value > MAX_AMOUNT:
        warnings.append(f"{what} {value:g} is outside 0 to {MAX_AMOUNT:g}: set aside")
        return None
    return float(value)


def date_bounds(today: date | None = None) -> tuple[date, date]:
    """The plausible range of a notice's dates: from 1990 to ten years ahead."""
    today = today or datetime.now(UTC).date()
    return EARLIEST, today + timedelta(days=round(365.25 * YEARS_AHEAD))


def check(notice: Notice, *, today: date | None = None) -> Notice:
    """Check and clean a mapped notice in place; raises RecordError when it cannot be trusted."""
    warnings = notice.warnings
    source_id = notice.source_id
    if not isinstance(source_id, str) or not _ID.match(source_id):
        raise RecordError(f"identifier {source_id!r} is not a single plain id")
    for other in (*notice.alt_ids, *notice.previous_ids, notice.procedure_id):
        if other is not None and not isinstance(other, str):
            raise RecordError(f"linked identifier {other!r} is not a string")
    earliest, latest = date_bounds(today)
    if notice.published is not None and not earliest <= notice.published <= latest:
        raise RecordError(f"publication date {notice.published.isoformat()} is outside {earliest} to {latest}")
    if notice.deadline is not None:
        notice.deadline_unknown = False  # another field stated a readable deadline
    if notice.deadline is not None and not earliest <= notice.deadline.date() <= latest:
        warnings.append(f"deadline {notice.deadline.date().isoformat()} is outside {earliest} to {latest}: set aside")
        notice.deadline = None
        notice.deadline_unknown = True

    expected = notice.expected_publication
    if expected is not None and not earliest <= expected <= latest:
        warnings.append(f"expected publication {expected.isoformat()} is outside {earliest} to {latest}: set aside")
        notice.expected_publication = None
    notice.value_band = clean_text(notice.value_band, 100, one_line=True)[0]
    for name in ("title", "description", "notes", "place", "reference"):
        value, cut = clean_text(getattr(notice, name), LIMITS[name], one_line=name in ONE_LINE)
        setattr(notice, name, value)
        if cut:
            warnings.append(f"{name} cut to {LIMITS[name]:,} characters")
    for name in ("name", "city", "postal_code", "siret"):
        value, cut = clean_text(getattr(notice.buyer, name), LIMITS.get(f"buyer.{name}", 100), one_line=True)
        setattr(notice.buyer, name, value)
        if cut:
            warnings.append(f"buyer {name} cut")
    for lot in notice.lots:
        lot.title, cut_title = clean_text(lot.title, LIMITS["lot.title"], one_line=True)
        lot.description, cut_desc = clean_text(lot.description, LIMITS["lot.description"])
        lot.number, _ = clean_text(lot.number, 50)
        if cut_title or cut_desc:
            warnings.append(f"lot {lot.number or '?'}: text cut")
        lot.value = _amount(lot.value, f"lot {lot.number or '?'} value", warnings)
    for award in notice.awards:
        award.winner, _ = clean_text(award.winner, LIMITS["award.winner"], one_line=True)
        award.amount = _amount(award.amount, "award amount", warnings)
        if award.award_date is not None and not earliest <= award.award_date <= latest:
            warnings.append(f"award date {award.award_date.isoformat()} is outside {earliest} to {latest}: set aside")
            award.award_date = None
    notice.value = _amount(notice.value, "value", warnings)
    for signal in notice.social:
        signal.value = clean_text(signal.value, LIMITS["notes"])[0] or ""

    url = safe_url(notice.url)
    if url is None and notice.url:
        warnings.append(f"link {notice.url[:80]!r} is not an http(s) address: dropped")
    link = SOURCE_LINKS.get(notice.source)
    notice.url = url or (link.format(id=source_id) if link else None)
    return notice
