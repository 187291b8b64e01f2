"""French dates and amounts, and the French names of reserved contracts, for digests and the newsletter."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
JOURS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MOIS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
RESERVED_KINDS = {
    "ea_esat": "entreprises adaptées / ESAT",
    "siae": "structures d'insertion (SIAE)",
    "ess": "entreprises de l'ESS",
    "unspecified": "marché réservé",
}


def date_fr(value: str | None, *, with_time: bool = True) -> str:
    """ "2026-12-14T12:00:00+01:00" -> "lundi 14 décembre 2026 à 12 h" (Paris time).

    The time's spaces are non-breaking ("à 23 h 59" never breaks across lines on a phone)."""
    if not value:
        return ""
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    dt = (dt if dt.tzinfo else dt.replace(tzinfo=PARIS)).astimezone(PARIS)
    day = "1er" if dt.day == 1 else str(dt.day)
    text = f"{JOURS[dt.weekday()]} {day} {MOIS[dt.month - 1]} {dt.year}"
    if with_time:
        text += f" à\u00a0{dt.hour}\u00a0h" + (f"\u00a0{dt.minute:02d}" if dt.minute else "")
    return text


def day_fr(value: str | None) -> str:
    """ "2024-06-12" -> "12 juin 2024" (a day in a table, without its weekday); "" for no date."""
    if not value:
        return ""
    year, month, day = (int(x) for x in value[:10].split("-"))
    return f"{'1er' if day == 1 else day} {MOIS[month - 1]} {year}"


def money_fr(value: float | None, currency: str | None = "EUR") -> str:
    if value is None:
        return ""
    whole = f"{value:,.0f}".replace(",", "\u202f")
    return f"{whole}\u00a0€" if (currency or "EUR") == "EUR" else f"{whole}\u00a0{currency}"


def number_fr(value: float | None, digits: int = 0) -> str:
    """12345.6 -> "12 346" (narrow no-break space between thousands, decimal comma)."""
    if value is None:
        return ""
    return f"{value:,.{digits}f}".replace(",", "\u202f").replace(".", ",")


def percent_fr(ratio: float | None, digits: int = 1) -> str:
    """0.3333 -> "33,3 %" (no-break space before the sign); None (nothing to divide) -> "—"."""
    if ratio is None:
        return "—"
    return f"{number_fr(100 * ratio, digits)}\u00a0%"
