"""Alert items: one per tender (procedure), built from its notices, classifications and places.

The same tender published on BOAMP and on TED is one procedure (archive/procedures.py), so it is one item.
An item's signature changes when the tender does (a corrigendum, a new deadline, a cancellation, an
award): a subscriber gets a tender again only then.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import sqlite_utils

from archive.changes import Change, changes
from archive.tenders import Award, Tender, tenders_changed_since
from classify.text import tokens
from formatting.places import departement_of_postal_code

_KIND_ORDER = {"prior_information": 0, "contract_notice": 1, "other": 2, "award": 3}

logger = logging.getLogger(__name__)


@dataclass
class Item:
    procedure_id: str
    state: str
    title: str
    buyer: str | None
    place: str | None
    departements: list[str]
    deadline: str | None
    deadline_utc: str | None
    value: float | None
    currency: str | None
    url: str | None
    sources: list[str]
    kinds: set[str]
    first_published: str | None
    last_published: str | None
    updated_at: str
    themes: dict[str, dict[str, Any]]  # code -> {score, evidence}
    reserved_contract: bool
    reserved_kinds: list[str]
    insertion_clause: bool
    social_criterion: bool
    event: str | None
    description: str | None
    notices: int
    last_notice: str
    last_status: str
    words: list[str] = field(default_factory=list)  # title + description tokens, for keywords
    buyer_city: str | None = None  # the buyer's town and postal code (a place when the notice names none)
    buyer_postal_code: str | None = None
    awards: list[Award] = field(default_factory=list)  # winners of the award notices, lot by lot
    awarded_on: str | None = None  # the award notice's publication day (when no award date is stated)
    changes: list[Change] = field(default_factory=list)  # what the latest corrigendum changed
    # The upcoming-purchase stage (archive.upcoming): when the call is expected, the band the source gives,
    # when and by which tenders it was announced, the calls its announcements became, its announcement notices.
    expected_publication: str | None = None
    value_band: str | None = None
    announced_on: str | None = None
    announced_for: str | None = None  # the day its announcement expected the call (when it has no date itself)
    announced_by: list[str] = field(default_factory=list)
    published_as: list[str] = field(default_factory=list)
    upcoming_keys: set[str] = field(default_factory=set)
    call_published: str | None = None  # the day the call itself came out (its first contract notice)

    @cached_property
    def category(self) -> str:
        """What a subscriber asks for: upcoming (prior information only), open (a call), awards."""
        if "award" in self.kinds or self.state == "awarded":
            return "awards"
        if self.kinds <= {"prior_information"}:
            return "upcoming"
        return "open"

    @property
    def signature(self) -> str:
        return f"{self.state}|{self.deadline_utc or ''}|{self.last_notice}|{self.notices}"


def load_items(db: sqlite_utils.Database, *, since: str | None) -> list[Item]:
    """Items of every procedure with a notice archived or changed after `since` (all when None)."""
    items = []
    for tender in tenders_changed_since(db, since):
        try:
            items.append(_item(tender))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:  # one unreadable tender never stops alerts
            logger.warning("alerts: tender %s left out: %s: %s", tender.key, type(exc).__name__, exc)
    return items


def _item(tender: Tender) -> Item:
    rows = tender.notices
    head = next((r for r in rows if r.kind == "contract_notice"), None) or next(
        (r for r in rows if r.kind == "prior_information"), rows[0]
    )
    last = max(rows, key=lambda r: (r.published or "", _KIND_ORDER.get(r.kind, 2), r.position))
    themes: dict[str, dict[str, Any]] = {}
    reserved, insertion, criterion, reserved_kinds = False, False, False, []
    for r in rows:
        for t in r.themes:
            if t.code not in themes or t.score > themes[t.code]["score"]:
                themes[t.code] = {"score": t.score, "evidence": t.evidence}
        social = r.social
        reserved |= social.reserved_contract
        insertion |= social.insertion_clause
        criterion |= social.social_criterion
        for k in social.reserved_kinds:
            if k not in reserved_kinds:
                reserved_kinds.append(k)
    departements = sorted({d for r in rows for d in r.departements})
    if not departements:  # no place of performance stated (many PINs): the buyer's département, where it buys
        departements = sorted({d for r in rows if (d := departement_of_postal_code(r.buyer_postal_code))})
    award_rows = [r for r in rows if r.kind == "award" and r.status != "cancellation"]
    valued = next((r for r in (head, *rows) if r.value), None)
    title = head.title or last.title or ""
    description = head.description
    return Item(
        procedure_id=tender.key,
        state=tender.state or "",
        title=title,
        buyer=head.buyer_name or last.buyer_name,
        place=head.place or last.place,
        departements=departements,
        deadline=tender.deadline,
        deadline_utc=tender.deadline_utc,
        value=valued.value if valued else None,
        currency=valued.currency if valued else None,
        url=last.url or head.url,
        sources=sorted({r.source for r in rows}),
        kinds={r.kind for r in rows},
        first_published=min((r.published for r in rows if r.published), default=None),
        last_published=max((r.published for r in rows if r.published), default=None),
        updated_at=max(r.updated_at or "" for r in rows),
        themes=themes,
        reserved_contract=reserved,
        reserved_kinds=reserved_kinds,
        insertion_clause=insertion,
        social_criterion=criterion,
        event=next((r.event_name for r in rows if r.event_name), None),
        description=description,
        notices=len(rows),
        last_notice=last.key,
        last_status=last.status,
        words=tokens(f"{title}\n{description or ''}").keys,
        buyer_city=head.buyer_city or last.buyer_city,
        buyer_postal_code=head.buyer_postal_code if head.buyer_city else last.buyer_postal_code,
        awards=[a for r in award_rows for a in r.awards],
        awarded_on=max((r.published for r in award_rows if r.published), default=None),
        changes=changes(tender),
        **upcoming_facts(tender),
    )


def upcoming_facts(tender: Tender) -> dict[str, Any]:
    """The Item fields of the upcoming-purchase stage, from the tender's notices and its links."""
    pins = [r for r in tender.notices if r.kind == "prior_information" and r.status != "cancellation"]
    announced = [a.announced for a in tender.announced_by if a.announced]
    if any(r.kind == "contract_notice" for r in tender.notices):
        announced += [r.published for r in pins if r.published]
    return {
        "expected_publication": min((r.expected_publication for r in pins if r.expected_publication), default=None),
        "value_band": next((r.value_band for r in pins if r.value_band), None),
        "announced_on": min(announced, default=None),
        "announced_for": tender.announced_for,
        "announced_by": sorted({a.upcoming_tender for a in tender.announced_by if a.upcoming_tender != tender.key}),
        "published_as": sorted({a.call_tender for a in tender.published_as}),
        "upcoming_keys": {r.key for r in pins},
        "call_published": min(
            (r.published for r in tender.notices if r.kind == "contract_notice" and r.published), default=None
        ),
    }
