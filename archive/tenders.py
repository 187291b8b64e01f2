"""The read side of the archive: tenders (procedures with their notices and classifications) as typed records.

Only this module speaks the SQL of the procedures × notices × classifications join and the JSON of their
columns; alerts and the newsletter read `Tender` and `TenderNotice` fields. A notice that belongs to no
procedure yet (not linked) is a tender of its own, keyed `source:source_id`.

The classification records (`Theme`, `SocialFlags`, `Event`, `Classification`) live here because the
archive stores them; `classify` (above the archive) builds them and writes them with `save_classifications`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

logger = logging.getLogger(__name__)

Evidence = list[dict[str, Any]]
FLAGS = ("reserved_contract", "insertion_clause", "social_criterion")


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _list(text: str | None) -> list[Any]:
    return json.loads(text or "[]")


@dataclass
class Theme:
    code: str
    score: float
    evidence: Evidence = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "score": self.score, "evidence": self.evidence}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Theme:
        return cls(d["code"], d["score"], list(d.get("evidence") or []))


@dataclass
class SocialFlags:
    """The three social flags, each with its evidence; the kinds of reservation (EA/ESAT, SIAE...) when reserved."""

    reserved_contract: bool = False
    insertion_clause: bool = False
    social_criterion: bool = False
    reserved_kinds: list[str] = field(default_factory=list)
    evidence: dict[str, Evidence] = field(default_factory=dict)  # flag -> evidence

    def __post_init__(self) -> None:
        for name in FLAGS:
            self.evidence.setdefault(name, [])

    @property
    def reserved_or_insertion(self) -> bool:
        return self.reserved_contract or self.insertion_clause

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in FLAGS:
            out[name] = {"value": getattr(self, name), "evidence": self.evidence[name]}
        out["reserved_contract"]["kinds"] = self.reserved_kinds
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SocialFlags:
        def flag(name: str) -> dict[str, Any]:
            return d.get(name) or {}

        return cls(
            reserved_contract=bool(flag("reserved_contract").get("value")),
            insertion_clause=bool(flag("insertion_clause").get("value")),
            social_criterion=bool(flag("social_criterion").get("value")),
            reserved_kinds=list(flag("reserved_contract").get("kinds") or []),
            evidence={name: list(flag(name).get("evidence") or []) for name in FLAGS},
        )


@dataclass
class Event:
    name: str
    evidence: Evidence = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "evidence": self.evidence}


@dataclass
class Classification:
    """One notice's `classifications` row: themes (best first), social flags, event, the classifier's version."""

    source: str
    source_id: str
    themes: list[Theme] = field(default_factory=list)
    social: SocialFlags = field(default_factory=SocialFlags)
    event: Event | None = None
    version: str = ""
    classified_at: str | None = None

    def to_row(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "source_id": self.source_id,
            "taxonomy_version": self.version,
            "themes": _json([t.to_dict() for t in self.themes]),
            "social": _json(self.social.to_dict()),
            "event": _json(self.event.to_dict()) if self.event else None,
            "reserved_contract": int(self.social.reserved_contract),
            "insertion_clause": int(self.social.insertion_clause),
            "social_criterion": int(self.social.social_criterion),
            "event_name": self.event.name if self.event else None,
            "classified_at": self.classified_at,
        }

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Classification:
        event = json.loads(row["event"]) if row.get("event") else None
        if event is None and row.get("event_name"):
            event = {"name": row["event_name"], "evidence": []}
        return cls(
            source=row["source"],
            source_id=row["source_id"],
            themes=[Theme.from_dict(t) for t in _list(row.get("themes"))],
            social=SocialFlags.from_dict(json.loads(row.get("social") or "{}")),
            event=Event(event["name"], list(event.get("evidence") or [])) if event else None,
            version=row.get("taxonomy_version") or "",
            classified_at=row.get("classified_at"),
        )

    @classmethod
    def from_result(
        cls, source: str, source_id: str, result: dict[str, Any], version: str, stamp: str
    ) -> Classification:
        """From the classifier's output (a dict of themes, social flags and event, as `classify --jsonl` prints)."""
        event = result.get("event")
        return cls(
            source=source,
            source_id=source_id,
            themes=[Theme.from_dict(t) for t in result.get("themes") or []],
            social=SocialFlags.from_dict(result.get("social") or {}),
            event=Event(event["name"], list(event.get("evidence") or [])) if event else None,
            version=version,
            classified_at=stamp,
        )

    @property
    def theme_codes(self) -> list[str]:
        return [t.code for t in self.themes]

    def theme_rows(self) -> list[dict[str, Any]]:
        """The `notice_themes` rows (one per theme, indexed by theme)."""
        return [
            {"source": self.source, "source_id": self.source_id, "theme": t.code, "score": t.score} for t in self.themes
        ]


def save_classifications(db: sqlite_utils.Database, records: list[Classification]) -> None:
    """Store classifications in one transaction, replacing each notice's earlier one and its theme index."""
    with db.conn:
        db.conn.executemany(
            "delete from notice_themes where source = ? and source_id = ?", [(c.source, c.source_id) for c in records]
        )
        db["classifications"].upsert_all([c.to_row() for c in records], pk=("source", "source_id"))
        themes = [row for c in records for row in c.theme_rows()]
        if themes:
            db["notice_themes"].insert_all(themes, pk=("source", "source_id", "theme"), replace=True)


def classifications_by_procedure(
    db: sqlite_utils.Database, procedure_ids: Iterable[str]
) -> list[tuple[str, Classification]]:
    """(procedure id as the notice states it, classification) of the classified notices of these procedures."""
    ids = sorted(set(procedure_ids))
    if not ids or not db["classifications"].exists():
        return []
    found = []
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        marks = ", ".join("?" for _ in chunk)
        sql = (
            "select n.procedure_id as notice_procedure_id, c.* from notices n join classifications c"
            f" on c.source = n.source and c.source_id = n.source_id where n.procedure_id in ({marks})"
        )
        found += [(row["notice_procedure_id"], Classification.from_row(row)) for row in db.query(sql, chunk)]
    return found


def notices_to_classify(db: sqlite_utils.Database, *, all_notices: bool = False) -> list[dict[str, Any]]:
    """`notices` rows never classified or changed since (every notice with all_notices)."""
    sql = "select n.* from notices n"
    if not all_notices:
        sql += (
            " left join classifications c on c.source = n.source and c.source_id = n.source_id"
            " where c.source is null or c.classified_at < n.updated_at"
        )
    return list(db.query(sql))


def stale_classifications(db: sqlite_utils.Database, version: str) -> int:
    """How many notices were classified by another classifier version."""
    return db.execute("select count(*) from classifications where taxonomy_version != ?", [version]).fetchone()[0]


@dataclass
class Award:
    """One winner of one lot (or of the whole contract when `lot` is None), as the award notice states it."""

    winner: str | None
    amount: float | None = None
    currency: str | None = None
    lot: str | None = None
    award_date: str | None = None  # ISO day the contract was awarded, when the notice says it
    siret: str | None = None
    intended: bool = False  # a VEAT names the contractor the buyer intends to award to: not yet an award

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Award:
        return cls(
            d.get("winner"),
            d.get("amount"),
            d.get("currency"),
            lot=d.get("lot"),
            award_date=d.get("award_date"),
            siret=d.get("siret"),
            intended=bool(d.get("intended")),
        )


@dataclass
class TenderNotice:
    """One notice of a tender, with its classification (None until classified)."""

    source: str
    source_id: str
    kind: str
    status: str
    title: str | None
    description: str | None
    buyer_name: str | None
    place: str | None
    url: str | None
    value: float | None
    currency: str | None
    departements: list[str]
    awards: list[Award]
    published: str | None
    deadline: str | None
    deadline_utc: str | None
    updated_at: str | None
    position: int | None
    classification: Classification | None
    buyer_city: str | None = None  # the buyer's address (town, postal code), when the notice gives it
    buyer_postal_code: str | None = None
    lots: int = 0  # how many lots the notice lists (0: not divided, or not stated)
    nuts: list[str] = field(default_factory=list)  # NUTS codes of the place of performance, as the notice states
    expected_publication: str | None = None  # an upcoming purchase: ISO day its call is expected
    value_band: str | None = None  # the source's value band ("1M - 5M€") when it gives no figure

    @property
    def key(self) -> str:
        return f"{self.source}:{self.source_id}"

    @property
    def themes(self) -> list[Theme]:
        return self.classification.themes if self.classification else []

    @property
    def classification_codes(self) -> list[str]:
        return [t.code for t in self.themes]

    @property
    def social(self) -> SocialFlags:
        return self.classification.social if self.classification else SocialFlags()

    @property
    def event_name(self) -> str | None:
        c = self.classification
        return c.event.name if c and c.event else None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> TenderNotice:
        classification = None
        if row["c_source"] is not None:
            classification = Classification.from_row({k[2:]: v for k, v in row.items() if k.startswith("c_")})
        return cls(
            source=row["source"],
            source_id=row["source_id"],
            kind=row["kind"],
            status=row["status"],
            title=row["title"],
            description=row["description"],
            buyer_name=row["buyer_name"],
            place=row["place"],
            url=row["url"],
            value=row["value"],
            currency=row["currency"],
            departements=_list(row["departements"]),
            awards=[Award.from_dict(a) for a in _list(row["awards"])],
            published=row["published"],
            deadline=row["deadline"],
            deadline_utc=row["deadline_utc"],
            updated_at=row["updated_at"],
            position=row["position"],
            classification=classification,
            buyer_city=row.get("buyer_city"),
            buyer_postal_code=row.get("buyer_postal_code"),
            lots=row.get("lots_count") or 0,
            nuts=_list(row.get("nuts")),
            expected_publication=row.get("expected_publication"),
            value_band=row.get("value_band"),
        )


@dataclass
class UpcomingLink:
    """An upcoming purchase and the call it became (`upcoming_links`, written by archive.upcoming)."""

    upcoming: str  # the upcoming notice, source:source_id
    upcoming_tender: str  # the tender it belongs to
    call: str
    call_tender: str
    announced: str | None  # ISO day the upcoming purchase was published
    expected: str | None
    published: str | None  # ISO day the call was published
    method: str
    score: float


@dataclass
class Tender:
    """A procedure (or an unlinked notice) with its notices, in the order of the tender's life."""

    key: str  # the procedure id, or source:source_id for a notice not linked yet
    state: str | None  # the procedure's state (None when not linked)
    deadline: str | None
    deadline_utc: str | None
    notices: list[TenderNotice] = field(default_factory=list)
    announced_by: list[UpcomingLink] = field(default_factory=list)  # announcements of this tender's call
    published_as: list[UpcomingLink] = field(default_factory=list)  # the calls this tender's announcements became

    @property
    def announced_on(self) -> str | None:
        """The first day this tender was announced before its call (by another tender: a PIN, APProch)."""
        return min((a.announced for a in self.announced_by if a.announced), default=None)

    @property
    def announced_for(self) -> str | None:
        """The day its announcements expected this tender's call."""
        return min((a.expected for a in self.announced_by if a.expected), default=None)


# The one join of the read side. Each row is a notice, with its procedure (if linked) and classification.
_SELECT = """select coalesce(pn.procedure_id, n.source || ':' || n.source_id) as tender_key, p.state as p_state,
    p.deadline as p_deadline, p.deadline_utc as p_deadline_utc, pn.position,
    n.source, n.source_id, n.kind, n.status, n.title, n.description, n.buyer_name, n.place, n.url, n.value,
    n.currency, n.departements, n.awards, n.published, n.deadline, n.deadline_utc, n.updated_at,
    n.buyer_city, n.buyer_postal_code, n.expected_publication, n.value_band,
    case when json_valid(n.lots) then json_array_length(n.lots) else 0 end as lots_count, n.nuts,
    c.source as c_source, c.source_id as c_source_id, c.taxonomy_version as c_taxonomy_version, c.themes as c_themes,
    c.social as c_social, c.event as c_event, c.event_name as c_event_name, c.classified_at as c_classified_at
    from notices n
    left join procedure_notices pn on pn.source = n.source and pn.source_id = n.source_id
    left join procedures p on p.id = pn.procedure_id
    left join classifications c on c.source = n.source and c.source_id = n.source_id"""


def query_tenders(db: sqlite_utils.Database, where: str, params: Iterable[Any], order: str) -> list[Tender]:
    """Tenders of the notices matching `where` (SQL over n = notices, p = procedures, pn, c = classifications),
    grouped by tender in the order of the first notice met. A notice whose columns cannot be read is left out
    with a warning: one unreadable notice never stops alerts or the newsletter."""
    tenders: dict[str, Tender] = {}
    for row in db.query(f"{_SELECT} where {where} order by {order}", list(params)):
        try:
            notice = TenderNotice.from_row(row)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            logger.warning(
                "archive: notice %s:%s left out: %s: %s", row["source"], row["source_id"], type(exc).__name__, exc
            )
            continue
        key = row["tender_key"]
        if key not in tenders:
            tenders[key] = Tender(key, row["p_state"], row["p_deadline"], row["p_deadline_utc"])
        tenders[key].notices.append(notice)
    _attach_links(db, tenders)
    return list(tenders.values())


_LINKS = """select l.*, coalesce(pu.procedure_id, l.upcoming_source || ':' || l.upcoming_source_id) as up_tender,
    coalesce(pc.procedure_id, l.call_source || ':' || l.call_source_id) as call_tender from upcoming_links l
    left join procedure_notices pu on pu.source = l.upcoming_source and pu.source_id = l.upcoming_source_id
    left join procedure_notices pc on pc.source = l.call_source and pc.source_id = l.call_source_id"""


def upcoming_links(db: sqlite_utils.Database) -> list[UpcomingLink]:
    """Every link of an upcoming purchase to its call (an archive from before migration 012: none)."""
    if not db["upcoming_links"].exists():
        return []
    return [
        UpcomingLink(
            upcoming=f"{r['upcoming_source']}:{r['upcoming_source_id']}",
            upcoming_tender=r["up_tender"],
            call=f"{r['call_source']}:{r['call_source_id']}",
            call_tender=r["call_tender"],
            announced=r["announced"],
            expected=r["expected"],
            published=r["published"],
            method=r["method"],
            score=r["score"],
        )
        for r in db.query(_LINKS + " order by l.announced, l.upcoming_source, l.upcoming_source_id")
    ]


def _attach_links(db: sqlite_utils.Database, tenders: dict[str, Tender]) -> None:
    """Each tender's announcements (`announced_by`) and the calls its announcements became (`published_as`)."""
    if not tenders:
        return
    for link in upcoming_links(db):
        if link.call_tender in tenders:
            tenders[link.call_tender].announced_by.append(link)
        if link.upcoming_tender in tenders and link.upcoming_tender != link.call_tender:
            tenders[link.upcoming_tender].published_as.append(link)


def tenders_changed_since(db: sqlite_utils.Database, since: str | None) -> list[Tender]:
    """Every procedure with a notice archived or changed after `since` (every procedure when None), all its
    notices in the tender's order (what alerts match)."""
    where, params = "pn.procedure_id is not null", []
    if since:
        where = """pn.procedure_id in (select pn2.procedure_id from procedure_notices pn2 join notices n2
                   on n2.source = pn2.source and n2.source_id = pn2.source_id where n2.updated_at > ?)"""
        params = [since]
    return query_tenders(db, where, params, "pn.procedure_id, pn.position")


def tenders_published(db: sqlite_utils.Database, first_day: str, last_day: str) -> list[Tender]:
    """Tenders with the notices published between two days, inclusive (a newsletter's week): only those notices,
    in publication order."""
    return query_tenders(db, "n.published between ? and ?", [first_day, last_day], _BY_PUBLICATION)


def tenders_due(db: sqlite_utils.Database, after_utc: str, before_utc: str, published_by: str) -> list[Tender]:
    """Tenders not cancelled with a call or prior information published by `published_by` whose deadline falls
    in [after_utc, before_utc) (a newsletter's deadlines of the coming week)."""
    where = (
        "n.kind in ('contract_notice', 'prior_information') and n.deadline_utc >= ? and n.deadline_utc < ? "
        "and n.published <= ? and coalesce(p.state, '') != 'cancelled'"
    )
    return query_tenders(db, where, [after_utc, before_utc, published_by], _BY_PUBLICATION)


def tenders_upcoming(db: sqlite_utils.Database, first_day: str, last_day: str, expected_by: str) -> list[Tender]:
    """The upcoming-purchase stage as of `last_day` (archive.upcoming): prior-information notices (PINs, APProch
    programmes) not cancelled whose call was not published by `last_day`, announced between the two days or
    known by then and expected after `last_day` up to `expected_by` (a newsletter's "À venir"). Ordered by the
    expected day."""
    where = (
        "n.kind = 'prior_information' and n.status != 'cancellation' and coalesce(p.state, '') != 'cancelled' "
        "and (n.published between ? and ? or (coalesce(n.published, '') <= ? "
        "and n.expected_publication > ? and n.expected_publication <= ?)) "
        "and not exists (select 1 from upcoming_links l where l.upcoming_source = n.source "
        "and l.upcoming_source_id = n.source_id and l.published <= ?)"
    )
    params = [first_day, last_day, last_day, last_day, expected_by, last_day]
    return query_tenders(db, where, params, "coalesce(n.expected_publication, n.published), n.source, n.source_id")


def publication_days(db: sqlite_utils.Database) -> list[str]:
    """The days on which the archive holds published notices, in order."""
    return [r[0] for r in db.execute("select distinct published from notices where published is not null order by 1")]


_BY_PUBLICATION = "n.published, n.source, n.source_id"
