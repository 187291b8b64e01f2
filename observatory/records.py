"""What the observatory measures, read from the archive in one place: the awarded contracts.

An awarded contract is either a DECP contract (table `contracts`), or a lot of an award notice of the watch
(notices of kind 'award', their `awards` JSON) that no DECP contract is linked to (`contracts.notice_source`,
`notice_source_id`, written by the contract↔notice linker): a contract declared in the DECP and announced by
an award notice is counted once, as the DECP contract (its amount and holders are the buyer's declaration).

Each record carries what the indicators need: buyer, themes (the classifiers' `contract_themes` /
`notice_themes`, best score first, the first being the main theme), département, month, amount, the social
considerations and its holders, each joined to the companies register by SIREN. What is not known stays
unknown (None): a holder without a SIREN or absent from the register is "unknown", never guessed from a name.
A DECP contract's amount is its current one (after its modifications), and its holders are those of the
latest modification that changes them, if one does.

Social considerations: a DECP contract states them (`social_stated`; "Pas de considération sociale" is a
statement of none) or says nothing. An award notice's flags come from the classifier
(`classifications.reserved_contract`, `insertion_clause`, `social_criterion`): a classified notice counts as
stating them (the classifier read its text and found a clause or not), an unclassified one as silent.

Co-holders (a group of several titulaires, or several winners of one lot) share the contract's amount
equally: each holder's `share` is 1/n. No better split exists in open data (the DECP does not give each
member's part), and an equal split never counts the contract, or its amount, twice.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

import sqlite_utils

from classify.event import EventConfig, EventDetector
from settings.runtime import many_objects

Tri = Literal["yes", "no", "unknown"]
CHARTER_SIZES = ("TPE", "PME")
CRITERIA = ("ess", "inclusive", "sme", "charter")
_CRITERION = {c: i for i, c in enumerate(CRITERIA)}
# per criterion, in CRITERIA order: (the contract's state, the part of one euro of its amount that goes to holders
# of the kind, the part whose holder is unknown)
Fractions = tuple[tuple[Tri, float, float], ...]


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ costs twice as much, for 180,000 holders a year
class Holder:
    """One holder of a contract, as the companies register knows it (None: unknown)."""

    name: str | None
    id: str | None  # as declared: a SIRET, a TVA number...
    siren: str | None
    share: float  # the part of the contract's amount given to this holder (1/n of co-holders)
    registered: bool = False  # the SIREN is in the companies register
    ess: bool | None = None
    inclusive_kind: str | None = None  # EI, ACI, AI, ETTI, GEIQ, EA, ESAT
    size: str | None = None  # TPE, PME, ETI, GE

    @property
    def ess_state(self) -> Tri:
        return "unknown" if self.ess is None else ("yes" if self.ess else "no")

    @property
    def inclusive_state(self) -> Tri:
        """An inclusive-employment structure: the register's SIAE/EA/ESAT lists say yes; a registered
        holder absent from them is no (the lists are exhaustive for the kinds they cover)."""
        if self.inclusive_kind:
            return "yes"
        return "no" if self.registered else "unknown"

    @property
    def sme_state(self) -> Tri:
        """TPE or PME (Sirene `categorieEntreprise`, TPE from the headcount)."""
        if self.size is None:
            return "unknown"
        return "yes" if self.size in CHARTER_SIZES else "no"

    @property
    def charter_state(self) -> Tri:
        """Counts towards the charter's 25 % (TPE/PME or ESS, inclusive structures included): yes when one
        is known; no only when the size is known to be ETI/GE and the holder is known not to be ESS."""
        states = (self.sme_state, self.ess_state, self.inclusive_state)
        if "yes" in states:
            return "yes"
        if self.sme_state == "no" and self.ess_state == "no":
            return "no"
        return "unknown"

    @property
    def states(self) -> tuple[Tri, Tri, Tri, Tri]:
        """The four states in CRITERIA order; they depend on the register's few values only, so they are worked
        out once per combination (a national year has hundreds of thousands of holders, a few dozen kinds)."""
        return _states(self.registered, self.ess, self.inclusive_kind, self.size)


@lru_cache(maxsize=1024)
def _states(registered: bool, ess: bool | None, kind: str | None, size: str | None) -> tuple[Tri, Tri, Tri, Tri]:
    holder = Holder(None, None, None, 1.0, registered, ess, kind, size)
    return (holder.ess_state, holder.inclusive_state, holder.sme_state, holder.charter_state)


@dataclass(slots=True)  # a national year is 150,000 of them: no per-record __dict__
class Awarded:
    """One awarded contract, whatever told us of it (a DECP contract or an award notice's lot)."""

    key: str  # "decp:<uid>" or "<source>:<source_id>" (+ "#lot <n>" for a lot of an award notice)
    origin: Literal["decp", "notice"]
    buyer_name: str | None
    buyer_siret: str | None
    object: str | None
    day: str | None  # ISO day: DECP notification, or the award date (else publication) of the notice
    departement: str | None
    amount: float | None  # euros HT; None when not stated (or in another currency)
    themes: list[str] = field(default_factory=list)  # best first
    social_stated: bool = False
    clause: bool | None = None  # None: the record says nothing
    criterion: bool | None = None
    reserved: bool | None = None
    event: bool = False  # in the configured event's scope
    event_by: str | None = None  # "notice" (tied to the event) or "buyer" (a dedicated buyer)
    holders: list[Holder] = field(default_factory=list)
    url: str | None = None  # the notice, when one is known
    fractions: Fractions = field(init=False, repr=False, compare=False)  # shared between records (_fractions)

    def __post_init__(self) -> None:
        self.fractions = _fractions(tuple((h.states, h.share) for h in self.holders))

    @property
    def month(self) -> str | None:
        return self.day[:7] if self.day else None

    @property
    def amount_key(self) -> tuple[float, str]:
        """Largest amount first, then by key (the report lists the largest contracts of a big group)."""
        return (-(self.amount or 0.0), self.key)

    @property
    def main_theme(self) -> str | None:
        return self.themes[0] if self.themes else None

    def state(self, criterion: str) -> Tri:
        """A contract goes to ESS / inclusive / SME / charter holders: yes if one holder is, unknown if none is
        but one is unknown, no otherwise (counted once, whatever the number of holders)."""
        return self.fractions[_CRITERION[criterion]][0]

    def amount_part(self, criterion: str, state: Tri = "yes") -> float:
        """The part of the amount whose holder is of the kind (`state` yes) or unknown (co-holders split
        equally; a contract without a holder named is all unknown)."""
        if state == "no":
            return 0.0
        return self.fractions[_CRITERION[criterion]][1 if state == "yes" else 2] * (self.amount or 0.0)


@lru_cache(maxsize=4096)
def _fractions(holders: tuple[tuple[tuple[Tri, Tri, Tri, Tri], float], ...]) -> Fractions:
    """What every figure needs of a contract's holders, per euro of its amount, from their states and shares.
    Worked out once per combination (a national year has 150,000 contracts and a few dozen combinations of
    their holders' kinds), so a record holds a shared tuple, not its own four."""
    if not holders:
        return (("unknown", 0.0, 1.0),) * len(CRITERIA)
    out: list[tuple[Tri, float, float]] = []
    for i in range(len(CRITERIA)):
        state: Tri = "no"  # yes if one holder is, else unknown if one is unknown
        yes = unknown = 0.0
        for states, part in holders:
            if states[i] == "yes":
                state, yes = "yes", yes + part
            elif states[i] == "unknown":
                unknown += part
                if state == "no":
                    state = "unknown"
        out.append((state, yes, unknown))
    return tuple(out)


def event_detector(config: EventConfig | None) -> EventDetector | None:
    """The event's dedicated buyers only: a contract is in the event's scope by its buyer or its notice."""
    if config is None or not config.name:
        return None
    return EventDetector(EventConfig(config.name, buyers=config.buyers))


class _Register:
    """The companies register, read once (a few hundred thousand rows at most for national volume)."""

    def __init__(self, db: sqlite_utils.Database):
        self.rows = {r[0]: r for r in db.execute("select siren, ess, inclusive_kind, size, name from companies")}

    def holder(self, name: str | None, ident: str | None, siren: str | None, share: float) -> Holder:
        """The holder as declared, completed by the register (its name when the declaration gives none)."""
        row = self.rows.get(siren) if siren else None
        if row is None:
            return Holder(name, ident, siren, share)
        ess = None if row[1] is None else bool(row[1])
        return Holder(name or row[4], ident, siren, share, True, ess, row[2], row[3])


def _siren(siret: str | None) -> str | None:
    digits = (siret or "").replace(" ", "")
    return digits[:9] if digits.isdigit() and len(digits) in (9, 14) else None


def _flag(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _themes(db: sqlite_utils.Database, table: str, key: str) -> dict[Any, list[str]]:
    out: dict[Any, list[str]] = {}
    cols = "uid" if key == "uid" else "source, source_id"
    for row in db.execute(f"select {cols}, theme from {table} order by {cols}, score desc, theme"):
        k = row[0] if key == "uid" else (row[0], row[1])
        out.setdefault(k, []).append(row[-1])
    return out


def read_awarded(db: sqlite_utils.Database, event: EventConfig | None = None) -> list[Awarded]:
    """Every awarded contract of the archive (DECP contracts, then the award notices no contract is linked
    to), with its holders joined to the companies register."""
    with many_objects(kept=True):
        return list(iter_awarded(db, event))


def iter_awarded(db: sqlite_utils.Database, event: EventConfig | None = None) -> Iterator[Awarded]:
    register = _Register(db)
    detector = event_detector(event)
    dedicated: dict[str, bool] = {}

    def by_buyer(name: str | None) -> bool:
        if detector is None or not name:
            return False
        if name not in dedicated:
            dedicated[name] = detector.detect(name, {}) is not None
        return dedicated[name]

    event_notices = {
        (r[0], r[1]) for r in db.execute("select source, source_id from classifications where event_name is not null")
    }
    yield from _contracts(db, register, event_notices, by_buyer)
    yield from _notices(db, register, event_notices)


def _contracts(
    db: sqlite_utils.Database,
    register: _Register,
    event_notices: set[tuple[str, str]],
    by_buyer: Callable[[str | None], bool],
) -> Iterator[Awarded]:
    themes = _themes(db, "contract_themes", "uid")
    holders: dict[str, list[tuple[str | None, str | None, str | None]]] = {}
    for uid, name, ident, siren in db.execute(
        "select uid, name, winner_id, siren from contract_winners order by uid, position"
    ):
        holders.setdefault(uid, []).append((name, ident, siren))
    shared: dict[str | None, str | None] = {}  # one object per distinct buyer, day, département (a year repeats them)
    # a modification that changes the holders (a transfer of the contract): the latest one names them now
    for uid, changed in db.execute(
        "select uid, winners from contract_modifications where winners is not null"
        " order by uid, coalesce(notified, published, ''), modification_id"
    ):
        try:
            now = [w for w in json.loads(changed) if isinstance(w, dict) and w.get("id")]
        except ValueError:
            continue
        if now:
            holders[uid] = [
                (None, w["id"], _siren(w["id"]) if w.get("id_type") in (None, "SIRET", "SIREN") else None) for w in now
            ]
    for row in db.execute(
        "select c.uid, c.buyer_name, c.buyer_siret, c.object, c.notified, c.departement, c.amount, c.social_stated,"
        " c.social_clause, c.social_criterion, c.reserved, c.notice_source, c.notice_source_id, n.url"
        " from contracts c left join notices n on n.source = c.notice_source and n.source_id = c.notice_source_id"
    ):
        (uid, buyer, siret, obj, day, dep, amount, stated, clause, criterion, reserved, nsource, nsid, url) = row
        buyer, siret = shared.setdefault(buyer, buyer), shared.setdefault(siret, siret)
        day, dep = shared.setdefault(day, day), shared.setdefault(dep, dep)
        found = holders.get(uid, [])
        share = 1 / len(found) if found else 0.0
        linked = (nsource, nsid) if nsource else None
        event_by = "notice" if linked in event_notices else ("buyer" if by_buyer(buyer) else None)
        yield Awarded(
            key=f"decp:{uid}",
            origin="decp",
            buyer_name=buyer,
            buyer_siret=siret,
            object=obj,
            day=day,
            departement=dep,
            amount=amount,
            themes=themes.get(uid, []),
            social_stated=bool(stated),
            clause=_flag(clause),
            criterion=_flag(criterion),
            reserved=_flag(reserved),
            event=event_by is not None,
            event_by=event_by,
            holders=[register.holder(n, i, s, share) for n, i, s in found],
            url=url,
        )


def _lots(awards: list[dict[str, Any]]) -> dict[str | None, list[dict[str, Any]]]:
    lots: dict[str | None, list[dict[str, Any]]] = {}
    for a in awards:
        if isinstance(a, dict) and not a.get("intended"):  # a VEAT's intended contractor is not an award yet
            lots.setdefault(a.get("lot"), []).append(a)
    return lots


def _lot_amount(awards: list[dict[str, Any]]) -> float | None:
    """The lot's amount: co-winners of a lot each repeating the lot's amount give it once; different
    amounts (each winner's part) are added up. Another currency than the euro: not stated in euros."""
    amounts = []
    for a in awards:
        value = a.get("amount")
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
            if (a.get("currency") or "EUR") != "EUR":
                return None
            amounts.append(float(value))
    if not amounts:
        return None
    return amounts[0] if len(set(amounts)) == 1 else sum(amounts)


def _notices(db: sqlite_utils.Database, register: _Register, event_notices: set[tuple[str, str]]) -> Iterator[Awarded]:
    """The award notices' lots, once per tender: the notices of one procedure (a BOAMP notice and its TED
    twin, an award and its corrigendum) give each lot once, from the latest notice naming it; a procedure
    one of whose notices a DECP contract is linked to is left to the DECP (it declares each lot)."""
    themes = _themes(db, "notice_themes", "notice")
    procedure_of = {
        (r[0], r[1]): r[2] for r in db.execute("select source, source_id, procedure_id from procedure_notices")
    }
    covered: set[Any] = set()
    for nsource, nsid, procedure in db.execute(
        "select notice_source, notice_source_id, procedure_id from contracts"
        " where notice_source is not null or procedure_id is not null"
    ):
        if nsource:
            covered.add((nsource, nsid))
            covered.add(procedure_of.get((nsource, nsid)))
        if procedure:
            covered.add(procedure)
    tenders: dict[Any, list[tuple]] = {}
    for row in db.execute(
        "select n.source, n.source_id, n.buyer_name, n.buyer_siret, n.title, n.published, n.departements,"
        " n.awards, n.url, c.source is not null, c.reserved_contract, c.insertion_clause, c.social_criterion"
        " from notices n left join classifications c on c.source = n.source and c.source_id = n.source_id"
        " where n.kind = 'award' and n.status != 'cancellation' order by n.published, n.source, n.source_id"
    ):
        key = (row[0], row[1])
        tender = procedure_of.get(key) or key
        if key in covered or tender in covered:
            continue  # counted as its DECP contract
        tenders.setdefault(tender, []).append(row)
    for rows in tenders.values():
        latest: dict[str | None, tuple[tuple, list[dict[str, Any]]]] = {}
        for row in rows:  # oldest first: a later notice's lot replaces an earlier reading of it
            try:
                parsed = json.loads(row[7] or "[]")
            except ValueError:
                continue
            for lot, entries in _lots(parsed if isinstance(parsed, list) else []).items():
                latest[lot] = (row, entries)
        several = len(latest) > 1
        for lot, (row, entries) in latest.items():
            yield _lot_record(row, lot if several else None, entries, themes, register, event_notices)


def _lot_record(
    row: tuple,
    lot: str | None,
    entries: list[dict[str, Any]],
    themes: dict[Any, list[str]],
    register: _Register,
    event_notices: set[tuple[str, str]],
) -> Awarded:
    source, source_id, buyer, siret, title, published, deps, _, url, classified, res, ins, crit = row
    try:
        departements = json.loads(deps or "[]")
    except ValueError:
        departements = []
    winners = [a for a in entries if a.get("winner") or a.get("siret")]
    share = 1 / len(winners) if winners else 0.0
    day = next((a["award_date"] for a in entries if a.get("award_date")), None) or published
    tied = (source, source_id) in event_notices
    return Awarded(
        key=f"{source}:{source_id}" + (f"#lot {lot}" if lot else ""),
        origin="notice",
        buyer_name=buyer,
        buyer_siret=siret,
        object=title,
        day=str(day)[:10] if day else None,
        departement=departements[0] if departements else None,
        amount=_lot_amount(entries),
        themes=themes.get((source, source_id), []),
        social_stated=bool(classified),
        clause=bool(ins) if classified else None,
        criterion=bool(crit) if classified else None,
        reserved=bool(res) if classified else None,
        event=tied,
        event_by="notice" if tied else None,
        holders=[register.holder(a.get("winner"), a.get("siret"), _siren(a.get("siret")), share) for a in winners],
        url=url,
    )
