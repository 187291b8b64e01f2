"""Subscribers: the ESS structures that receive alerts, their profile, validated and stored in the archive.

Validation errors name the row and the field ("row 3, emails: 'bob@' is not an e-mail address"), for
`subscribers add` as for a CSV import, and nothing is written when a row is wrong.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

import sqlite_utils

from alerts import geo
from archive.db import now_iso
from classify.taxonomy import THEME_CODES
from settings import WatchError

KINDS = ("EI", "AI", "ACI", "ETTI", "GEIQ", "EA", "ESAT", "association", "cooperative", "other")
NOTICE_KINDS = ("upcoming", "open", "awards", "leads")  # leads: partnering leads (leads/), off by default
FREQUENCIES = ("each_run", "daily", "weekly")
ORIGINS = ("web", "cli", "csv")
EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
CSV_FIELDS = [
    "name",
    "emails",
    "kind",
    "themes",
    "departements",
    "regions",
    "national",
    "keywords",
    "exclude_keywords",
    "value_min",
    "value_max",
    "notice_kinds",
    "frequency",
    "active",
    "siret",
]


class SubscriberError(WatchError, ValueError):
    """A subscriber profile or CSV row that is not valid: the message names the field."""

    label = "subscribers"


@dataclass
class Subscriber:
    name: str
    emails: list[str]
    kind: str = "other"
    themes: list[str] = field(default_factory=list)
    departements: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    national: bool = False
    keywords: list[str] = field(default_factory=list)
    exclude_keywords: list[str] = field(default_factory=list)
    value_min: float | None = None
    value_max: float | None = None
    notice_kinds: list[str] = field(default_factory=lambda: ["upcoming", "open"])
    frequency: str = "daily"
    active: bool = True
    siret: str | None = None
    origin: str = "cli"  # web, cli or csv: where the profile came from (`subscribers list` shows it)
    paused_until: str | None = None  # YYYY-MM-DD: no digest before this day (set from the web preferences)
    id: int | None = None
    last_digest_at: str | None = None
    created_at: str | None = None

    @property
    def all_departements(self) -> list[str]:
        return sorted(set(self.departements) | set(geo.departements_of(self.regions)))

    def to_row(self) -> dict[str, Any]:
        row = asdict(self)
        for key in ("emails", "themes", "departements", "regions", "keywords", "exclude_keywords", "notice_kinds"):
            row[key] = json.dumps(row[key], ensure_ascii=False)
        row["national"] = int(self.national)
        row["active"] = int(self.active)
        if row["id"] is None:
            row.pop("id")
        return row

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Subscriber:
        data = dict(row)
        for key in ("emails", "themes", "departements", "regions", "keywords", "exclude_keywords", "notice_kinds"):
            data[key] = json.loads(data.get(key) or "[]")
        data["national"] = bool(data.get("national"))
        data["active"] = bool(data.get("active"))
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else re.split(r"[;,|]", str(value))
    return [str(x).strip() for x in items if str(x).strip()]


def _bool(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    v = str(value).strip().lower()
    if v in ("1", "true", "yes", "oui", "y", "o"):
        return True
    if v in ("", "0", "false", "no", "non", "n"):
        return False
    raise SubscriberError(f"{where}: expected yes/no, got {value!r}")


def _number(value: Any, where: str) -> float | None:
    if value in (None, ""):
        return None
    try:
        number = float(str(value).replace(" ", "").replace(",", "."))
    except ValueError:
        raise SubscriberError(f"{where}: expected an amount in euros, got {value!r}") from None
    if number < 0:
        raise SubscriberError(f"{where}: expected an amount of 0 or more, got {value!r}")
    return number


def siret_ok(value: str) -> bool:
    """14 digits whose Luhn sum is a multiple of 10 (La Poste's establishments excepted, as INSEE does)."""
    if not re.fullmatch(r"\d{14}", value):
        return False
    if value.startswith("356000000"):  # La Poste: the digits sum to a multiple of 5
        return sum(int(c) for c in value) % 5 == 0
    total = 0
    for i, c in enumerate(reversed(value)):
        d = int(c) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def validate(data: dict[str, Any], where: str = "subscriber") -> Subscriber:
    """A profile from loose input (CLI options or a CSV row); SubscriberError names the field."""
    name = str(data.get("name") or "").strip()
    if not name:
        raise SubscriberError(f"{where}, name: required")
    emails = _list(data.get("emails"))
    if not emails:
        raise SubscriberError(f"{where}, emails: at least one address is required")
    for e in emails:
        if not EMAIL.match(e) or "\r" in e or "\n" in e:
            raise SubscriberError(f"{where}, emails: {e!r} is not an e-mail address")
    kind = str(data.get("kind") or "other").strip()
    match = next((k for k in KINDS if k.lower() == kind.lower()), None)
    if match is None:
        raise SubscriberError(f"{where}, kind: {kind!r} is not one of {', '.join(KINDS)}")
    themes = _list(data.get("themes"))
    for t in themes:
        if t not in THEME_CODES:
            raise SubscriberError(f"{where}, themes: unknown theme {t!r} (expected some of {', '.join(THEME_CODES)})")
    deps = []
    for d in _list(data.get("departements")):
        code = geo.departement(d)
        if code is None:
            raise SubscriberError(f"{where}, departements: unknown département {d!r}")
        deps.append(code)
    regions = []
    for r in _list(data.get("regions")):
        code = geo.region(r)
        if code is None:
            raise SubscriberError(f"{where}, regions: unknown region {r!r}")
        regions.append(code)
    national = _bool(data.get("national", False), f"{where}, national")
    if not (deps or regions or national):
        raise SubscriberError(f"{where}, departements: give départements, regions, or national=yes")
    keywords, exclude = _list(data.get("keywords")), _list(data.get("exclude_keywords"))
    if not (themes or keywords):
        raise SubscriberError(f"{where}, themes: give themes or keywords, or the profile matches nothing")
    kinds = _list(data.get("notice_kinds")) or ["upcoming", "open"]
    for k in kinds:
        if k not in NOTICE_KINDS:
            raise SubscriberError(f"{where}, notice_kinds: {k!r} is not one of {', '.join(NOTICE_KINDS)}")
    frequency = str(data.get("frequency") or "daily").strip()
    if frequency not in FREQUENCIES:
        raise SubscriberError(f"{where}, frequency: {frequency!r} is not one of {', '.join(FREQUENCIES)}")
    vmin, vmax = (
        _number(data.get("value_min"), f"{where}, value_min"),
        _number(data.get("value_max"), f"{where}, value_max"),
    )
    if vmin is not None and vmax is not None and vmin > vmax:
        raise SubscriberError(f"{where}, value_max: below value_min")
    siret = re.sub(r"[\s.]", "", str(data.get("siret") or ""))
    if siret and not siret_ok(siret):
        raise SubscriberError(f"{where}, siret: {data.get('siret')!r} is not a SIRET (14 digits, Luhn check)")
    origin = str(data.get("origin") or "cli")
    if origin not in ORIGINS:
        raise SubscriberError(f"{where}, origin: {origin!r} is not one of {', '.join(ORIGINS)}")
    return Subscriber(
        siret=siret or None,
        origin=origin,
        name=name,
        emails=emails,
        kind=match,
        themes=themes,
        departements=deps,
        regions=regions,
        national=national,
        keywords=keywords,
        exclude_keywords=exclude,
        value_min=vmin,
        value_max=vmax,
        notice_kinds=kinds,
        frequency=frequency,
        active=_bool(data.get("active", True), f"{where}, active"),
    )


def save(db: sqlite_utils.Database, sub: Subscriber) -> int:
    """Insert, or update the subscriber of the same name (an import can be run again, an export re-imported)."""
    existing = db.execute(
        "select id, created_at, last_digest_at, origin, paused_until from subscribers where name = ?", [sub.name]
    ).fetchone()
    row = sub.to_row()
    with db.conn:
        if existing:  # where it came from first, and a pause the structure set, are kept
            row["id"], row["created_at"], row["last_digest_at"] = existing[:3]
            row["origin"] = existing[3] or row["origin"]
            row["paused_until"] = existing[4]
            db["subscribers"].update(row["id"], row)
            return int(row["id"])
        row["created_at"] = now_iso()
        return int(db["subscribers"].insert(row).last_pk)


def import_csv(db: sqlite_utils.Database, text: str) -> list[int]:
    """All rows validated first; nothing is written if one is wrong (the error names its row)."""
    reader = csv.DictReader(io.StringIO(text))
    unknown = set(reader.fieldnames or []) - set(CSV_FIELDS)
    if unknown:
        raise SubscriberError(f"header: unknown column {sorted(unknown)[0]!r} (expected {', '.join(CSV_FIELDS)})")
    subs = [validate({**row, "origin": "csv"}, f"row {i}") for i, row in enumerate(reader, start=2)]
    return [save(db, s) for s in subs]


def export_csv(subs: list[Subscriber]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for s in subs:
        writer.writerow(
            {
                "name": s.name,
                "emails": ";".join(s.emails),
                "kind": s.kind,
                "themes": ";".join(s.themes),
                "departements": ";".join(s.departements),
                "regions": ";".join(s.regions),
                "national": "yes" if s.national else "no",
                "keywords": ";".join(s.keywords),
                "exclude_keywords": ";".join(s.exclude_keywords),
                "value_min": "" if s.value_min is None else f"{s.value_min:g}",
                "value_max": "" if s.value_max is None else f"{s.value_max:g}",
                "notice_kinds": ";".join(s.notice_kinds),
                "frequency": s.frequency,
                "active": "yes" if s.active else "no",
                "siret": s.siret or "",
            }
        )
    return out.getvalue()


def load_all(db: sqlite_utils.Database, *, active_only: bool = False) -> list[Subscriber]:
    sql = "select * from subscribers" + (" where active = 1" if active_only else "") + " order by id"
    return [Subscriber.from_row(r) for r in db.query(sql)]


def get(db: sqlite_utils.Database, ref: str) -> Subscriber | None:
    rows = list(db.query("select * from subscribers where id = ? or name = ?", [ref, ref]))
    return Subscriber.from_row(rows[0]) if rows else None
