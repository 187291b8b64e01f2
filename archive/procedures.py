"""Procedures: the notices of one tender, across sources, with the tender's current state.

A tender is announced, published, corrected, maybe cancelled, and awarded; French EU-threshold tenders
appear on TED and again on BOAMP. Notices are joined when they share
- a procedure id (eForms ContractFolderID, TED procedure-identifier, BOAMP contractfolderid),
- a reference to an earlier notice (BOAMP annonce_lie / gestion / avisInitial, eForms
  ChangedNoticeIdentifier and previous-notice references "<uuid>-01"),
- the same eForms notice (its UUID, carried by both a BOAMP JOUE notice and its TED twin),
- or, failing ids, a conservative fuzzy match of a BOAMP notice and a TED notice (title and buyer with
  rapidfuzz, publication within a week, same kind, compatible deadlines), recorded with its score.

Procedures are rebuilt from the notices each run (deterministic ids), so they always reflect the archive.
States: announced (prior information only, no deadline yet), open, corrected (open, with a corrigendum),
deadline_unknown (a deadline was stated but could not be read: never alerted as open),
cancelled, awarded, closed (deadline passed and no award seen, or nothing to answer: ex-ante transparency,
contract modification).
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlite_utils
from rapidfuzz import fuzz

from archive.db import now_iso
from notices.checks import date_bounds

logger = logging.getLogger(__name__)

_VERSIONED_UUID = re.compile(r"^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})-\d{2}$")

TWIN_THRESHOLD = 90.0  # combined score; below it two notices are not the same tender
TWIN_MIN_TITLE = 85.0
TWIN_MIN_BUYER = 80.0
TWIN_DAYS = 7

Key = tuple[str, str]


@dataclass
class Row:
    key: Key
    kind: str
    status: str
    published: str | None
    deadline: str | None
    deadline_utc: str | None
    title: str | None
    buyer: str | None
    procedure_id: str | None
    alt_ids: list[str]
    previous_ids: list[str]
    cpv: list[str]
    reference: str | None = None
    deadline_unknown: bool = False
    links: list[tuple[str, float | None]] = field(default_factory=list)


def _ref(value: str) -> str:
    """ "<uuid>-01" (a versioned eForms notice reference) -> "<uuid>"."""
    m = _VERSIONED_UUID.match(value)
    return m.group(1).lower() if m else value


def normalise_text(text: str | None) -> str:
    if not text:
        return ""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[Key, Key] = {}

    def find(self, k: Key) -> Key:
        root = k
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        while self.parent.get(k, k) != root:
            self.parent[k], k = root, self.parent[k]
        return root

    def union(self, a: Key, b: Key) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        self.parent[max(ra, rb)] = min(ra, rb)
        return True


def _utc_instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _usable_date(row: Any, i: int, parse: Any) -> str | None:
    """A stored date the linking can compute with; one it cannot (an archive from before the entry checks, a
    hand edit) is left out for this notice only, with a line naming it, so the rest of the archive links."""
    value = row[i]
    if not value:
        return None
    try:
        parsed = parse(value)
        low, high = date_bounds()
        day = parsed.date() if isinstance(parsed, datetime) else parsed
        if not low <= day <= high:
            raise ValueError("outside the plausible range")
    except (ValueError, TypeError, OverflowError) as exc:
        logger.warning("link: notice %s:%s: date %r set aside (%s)", row[0], row[1], value, exc)
        return None
    return value


def _load(db: sqlite_utils.Database) -> list[Row]:
    rows = []
    sql = """select source, source_id, kind, status, published, deadline, deadline_utc, title, buyer_name,
             procedure_id, alt_ids, previous_ids, cpv, reference, deadline_unknown from notices"""
    for r in db.execute(sql):
        published, deadline_utc = _usable_date(r, 4, date.fromisoformat), _usable_date(r, 6, _utc_instant)
        rows.append(
            Row(
                key=(r[0], r[1]),
                kind=r[2],
                status=r[3],
                published=published,
                deadline=r[5] if deadline_utc else None,
                deadline_utc=deadline_utc,
                title=r[7],
                buyer=r[8],
                procedure_id=r[9],
                alt_ids=json.loads(r[10] or "[]"),
                previous_ids=json.loads(r[11] or "[]"),
                cpv=json.loads(r[12] or "[]"),
                reference=r[13],
                deadline_unknown=bool(r[14]),
            )
        )
    return rows


def twin_score(a: Row, b: Row) -> tuple[float, float, float] | None:
    """(combined, title, buyer) similarity of two notices, or None when they cannot be the same notice."""
    if a.kind != b.kind or not a.title or not b.title or not a.buyer or not b.buyer:
        return None
    if (
        a.deadline_utc
        and b.deadline_utc
        and abs(
            datetime.fromisoformat(a.deadline_utc.replace("Z", "+00:00"))
            - datetime.fromisoformat(b.deadline_utc.replace("Z", "+00:00"))
        )
        > timedelta(days=1)
    ):
        return None
    title = fuzz.token_set_ratio(normalise_text(a.title), normalise_text(b.title))
    buyer = fuzz.token_set_ratio(normalise_text(a.buyer), normalise_text(b.buyer))
    return 0.6 * title + 0.4 * buyer, title, buyer


def is_twin(score: tuple[float, float, float] | None) -> bool:
    return bool(score) and score[0] >= TWIN_THRESHOLD and score[1] >= TWIN_MIN_TITLE and score[2] >= TWIN_MIN_BUYER


NOTICE_SOURCES = ("boamp", "ted")  # the official journals; other sources are buyer platforms


def _norm_reference(ref: str | None) -> str | None:
    norm = re.sub(r"[^a-z0-9]", "", (ref or "").lower())
    return norm if len(norm) >= 4 else None


def _by_reference(rows: list[Row], uf: _UnionFind, how: dict[Key, tuple[str, float | None]]) -> None:
    """A platform consultation and a journal notice with the same buyer reference and a similar buyer."""
    journal: dict[str, list[Row]] = defaultdict(list)
    for r in rows:
        ref = _norm_reference(r.reference)
        if ref and r.key[0] in NOTICE_SOURCES:
            journal[ref].append(r)
    for r in rows:
        ref = _norm_reference(r.reference)
        if not ref or r.key[0] in NOTICE_SOURCES:
            continue
        for j in journal.get(ref, ()):
            similar = (
                fuzz.token_set_ratio(normalise_text(r.buyer), normalise_text(j.buyer)) if r.buyer and j.buyer else 0
            )
            if similar >= 70 and uf.union(j.key, r.key):
                how[r.key] = ("same reference", round(similar, 1))


def _fuzzy_twins(rows: list[Row], uf: _UnionFind) -> list[tuple[Row, Row, float]]:
    """Notices with no journal twin yet (a BOAMP notice without TED, a platform consultation without either),
    matched against the other journal's notices published close by."""
    by_day: dict[str, dict[date, list[Row]]] = {"boamp": defaultdict(list), "ted": defaultdict(list)}
    for r in rows:
        if r.key[0] in NOTICE_SOURCES and r.published:
            by_day[r.key[0]][date.fromisoformat(r.published)].append(r)
    groups_with: dict[str, set[Key]] = {s: {uf.find(r.key) for r in rows if r.key[0] == s} for s in NOTICE_SOURCES}
    found = []
    for r in rows:
        if r.key[0] == "ted" or not r.published:
            continue
        targets = ["ted"] if r.key[0] == "boamp" else ["boamp", "ted"]
        targets = [t for t in targets if uf.find(r.key) not in groups_with[t]]
        if not targets:
            continue
        day = date.fromisoformat(r.published)
        best: tuple[float, Row] | None = None
        window = TWIN_DAYS if r.key[0] == "boamp" else 3 * TWIN_DAYS  # platforms publish before the journals
        for offset in range(-window, window + 1):
            for t in (x for target in targets for x in by_day[target].get(day + timedelta(days=offset), ())):
                if r.cpv and t.cpv and not {c[:3] for c in r.cpv} & {c[:3] for c in t.cpv}:
                    continue
                score = twin_score(r, t)
                if is_twin(score) and (best is None or score[0] > best[0]):
                    best = (score[0], t)
        if best:
            found.append((r, best[1], round(best[0], 1)))
    return found


def _state(members: list[Row], now: str) -> tuple[str, Row | None]:
    """The tender's state, and the notice whose deadline is the current one."""
    with_deadline = [m for m in members if m.deadline_utc]
    current = max(with_deadline, key=lambda m: (m.published or "", m.deadline_utc or "")) if with_deadline else None
    if any(m.status == "cancellation" for m in members):
        return "cancelled", current
    if any(m.kind == "award" for m in members):
        return "awarded", current
    if not any(m.kind in ("contract_notice", "prior_information") for m in members):
        return "closed", current  # only ex-ante transparency or modification notices: nothing to answer
    if current and current.deadline_utc and current.deadline_utc <= now:
        return "closed", current
    if all(m.kind == "prior_information" for m in members) and current is None:
        return "announced", current
    if current is None and any(m.deadline_unknown for m in members):
        return "deadline_unknown", current  # a deadline was stated but unreadable: never taken for open
    if any(m.status == "corrigendum" for m in members):
        return "corrected", current
    return "open", current


_KIND_ORDER = {"prior_information": 0, "contract_notice": 1, "other": 2, "award": 3}


def rebuild(db: sqlite_utils.Database, *, now: datetime | None = None) -> dict[str, int]:
    """Group every archived notice into procedures; returns the count per state."""
    rows = _load(db)
    uf = _UnionFind()
    how: dict[Key, tuple[str, float | None]] = {}
    by_id: dict[str, Key] = {}
    by_procedure: dict[str, Key] = {}
    for r in rows:
        by_id.setdefault(f"{r.key[0]}:{r.key[1]}", r.key)
        by_id.setdefault(r.key[1], r.key)
        for alt in r.alt_ids:
            other = by_id.setdefault(_ref(alt).lower(), r.key)
            if other != r.key and uf.union(other, r.key):
                how[r.key] = ("same notice", None)
        if r.procedure_id:
            other = by_procedure.setdefault(r.procedure_id.lower(), r.key)
            if other != r.key and uf.union(other, r.key):
                how[r.key] = ("procedure id", None)
    for r in rows:
        for ref in r.previous_ids:
            other = by_id.get(f"{r.key[0]}:{ref}") or by_id.get(_ref(ref).lower()) or by_id.get(ref)
            if other and other != r.key and uf.union(other, r.key):
                how[r.key] = ("previous notice", None)
    _by_reference(rows, uf, how)
    for row, twin, score in _fuzzy_twins(rows, uf):
        if uf.union(twin.key, row.key):
            how[row.key] = ("fuzzy twin", score)

    groups: dict[Key, list[Row]] = defaultdict(list)
    for r in rows:
        groups[uf.find(r.key)].append(r)
    now_utc = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    stamp = now_iso()
    procedures, memberships = [], []
    counts: dict[str, int] = defaultdict(int)
    for members in groups.values():
        members.sort(key=lambda m: (m.published or "", _KIND_ORDER.get(m.kind, 2), m.key))
        folder = next((m.procedure_id for m in members if m.procedure_id), None)
        pid = folder.lower() if folder else f"{members[0].key[0]}:{members[0].key[1]}"
        state, current = _state(members, now_utc)
        counts[state] += 1
        head = next((m for m in members if m.kind == "contract_notice"), members[0])
        procedures.append(
            {
                "id": pid,
                "state": state,
                "title": head.title,
                "buyer_name": head.buyer,
                "first_published": members[0].published,
                "last_published": members[-1].published,
                "deadline": current.deadline if current else None,
                "deadline_utc": current.deadline_utc if current else None,
                "notices": len(members),
                "sources": json.dumps(sorted({m.key[0] for m in members})),
                "updated_at": stamp,
            }
        )
        for position, m in enumerate(members):
            linked_by, score = how.get(m.key, ("first notice" if position == 0 else "group", None))
            memberships.append(
                {
                    "procedure_id": pid,
                    "source": m.key[0],
                    "source_id": m.key[1],
                    "position": position,
                    "linked_by": linked_by,
                    "score": score,
                }
            )
    with db.conn:
        db.execute("delete from procedure_notices")
        db.execute("delete from procedures")
        db["procedures"].insert_all(procedures, batch_size=500)
        db["procedure_notices"].insert_all(memberships, batch_size=500)
    return dict(counts)


def procedure_of(db: sqlite_utils.Database, source: str, source_id: str) -> dict[str, Any] | None:
    rows = list(
        db.query(
            """select p.* from procedures p join procedure_notices pn on pn.procedure_id = p.id
               where pn.source = ? and pn.source_id = ?""",
            [source, source_id],
        )
    )
    return rows[0] if rows else None
