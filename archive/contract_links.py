"""Linking awarded contracts (DECP) to the watch's own notices and procedures: the one writer of the link
columns of `contracts` (notice_source, notice_source_id, procedure_id, linked_by, link_score).

A DECP record names no notice, so the link is found, in this order:

1. `reference`: a notice of the same buyer (same SIREN) whose buyer reference is the contract's id, or the
   start of it followed by a lot suffix ("2024FCS05" for "2024FCS05_1"); score 1. A notice that names no
   SIRET (BOAMP's flat records) links by its reference alone when that reference is exactly the contract's
   id, distinctive (letters and digits, eight characters at least), on that one notice only, published
   before the notification, and the buyers' names fit when both are known; score 0.9.
2. `buyer_object_date`: a notice of the same buyer (SIRET, or the same SIREN) whose title or one of its lots'
   titles is close to the contract's object (rapidfuzz on folded text, at least two informative words in
   common), published before the notification within `WINDOW_DAYS` (a call for tenders) or around it (an
   award notice); score = the similarity (0..1).

3. `award_winner`: an award notice that names one of the contract's holders by SIRET (and no other buyer),
   published around the notification, with a title not far from the object (similarity 55 or more: the
   winner is strong evidence, and award notices often have no buyer SIRET); score = similarity + 20.

The buyer alone is never enough: a buyer's every contract is not its every notice's. When two notices of
different procedures score alike for one contract, it stays unlinked (`ambiguous`). Every run looks again at
the contracts not linked yet (a notice archived later may be theirs) and refreshes the procedure of the
linked ones (procedures are rebuilt from the notices).
"""

from __future__ import annotations

import json
import logging
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlite_utils
from rapidfuzz import fuzz

from archive.procedures import normalise_text

logger = logging.getLogger(__name__)

WINDOW_DAYS = 540  # a call for tenders is notified within eighteen months, lots and appeals included
AWARD_BEFORE_DAYS = 60  # an award notice published up to two months before the notification (late data)
AWARD_AFTER_DAYS = 240  # or up to eight months after it
THRESHOLD = 80.0  # similarity of object and title, 0..100
AMBIGUITY = 3.0  # two procedures scoring within this of each other: no link
REFERENCE_ALONE = 0.9  # the score of a link by a distinctive reference on a notice that names no SIRET
WINNER_THRESHOLD = 55.0  # object similarity enough when an award notice names the contract's holder (SIRET)
WINNER_BONUS = 20.0
LINK_KINDS = ("contract_notice", "award", "prior_information")
SHORT_WORDS = frozenset({"lot", "les", "des", "une", "aux", "pour", "dans", "sur", "avec", "marche", "travaux", "n"})


@dataclass
class NoticeRef:
    source: str
    source_id: str
    kind: str
    siret: str | None
    published: date | None
    titles: list[str]  # the notice's title and its lots' titles, folded
    reference: str | None
    buyer: str = ""  # folded buyer name
    winners: frozenset[str] = frozenset()  # SIRETs of the winners an award notice names


@dataclass
class Index:
    """The notices a contract may link to, by buyer SIREN, by reference and by winner SIRET."""

    by_siren: dict[str, list[NoticeRef]]
    by_ref: dict[str, list[NoticeRef]]
    by_winner: dict[str, list[NoticeRef]]
    procedure_of: dict[tuple[str, str], str]

    def procedure(self, n: NoticeRef) -> str:
        return self.procedure_of.get((n.source, n.source_id), f"{n.source}:{n.source_id}")


def _norm_ref(value: str | None) -> str | None:
    norm = re.sub(r"[^a-z0-9]", "", (value or "").lower())
    return norm if len(norm) >= 4 else None


def _words(text: str) -> set[str]:
    return {w for w in text.split() if len(w) > 2 and w not in SHORT_WORDS and not w.isdigit()}


def similarity(object_text: str, titles: list[str]) -> float:
    """0..100: the best of the notice's titles against the contract's object (folded texts)."""
    words = _words(object_text)
    best = 0.0
    for title in titles:
        if len(words & _words(title)) >= 2:
            score = 0.6 * fuzz.token_set_ratio(object_text, title) + 0.4 * fuzz.token_sort_ratio(object_text, title)
        else:
            score = fuzz.token_sort_ratio(object_text, title) * 0.8
        best = max(best, score)
    return best


def _load_notices(db: sqlite_utils.Database) -> list[NoticeRef]:
    marks = ",".join("?" * len(LINK_KINDS))
    out = []
    for row in db.query(
        f"""select source, source_id, kind, buyer_siret, buyer_name, published, title, lots, reference, awards
            from notices
            where kind in ({marks}) and (buyer_siret is not null or reference is not null or kind = 'award')""",
        LINK_KINDS,
    ):
        titles = [normalise_text(row["title"])] if row["title"] else []
        for lot in json.loads(row["lots"] or "[]"):
            if isinstance(lot, dict) and lot.get("title"):
                titles.append(normalise_text(lot["title"]))
        siret = row["buyer_siret"] if row["buyer_siret"] and len(row["buyer_siret"]) == 14 else None
        out.append(
            NoticeRef(
                row["source"],
                row["source_id"],
                row["kind"],
                siret,
                date.fromisoformat(row["published"][:10]) if row["published"] else None,
                [t for t in titles if t],
                _norm_ref(row["reference"]),
                normalise_text(row["buyer_name"]),
                frozenset(
                    a["siret"]
                    for a in json.loads(row["awards"] or "[]")
                    if isinstance(a, dict) and isinstance(a.get("siret"), str) and len(a["siret"]) == 14
                ),
            )
        )
    return out


def _in_window(notice: NoticeRef, notified: date | None) -> bool:
    if notice.published is None or notified is None:
        return False
    if notice.kind == "award":
        return (
            notified - timedelta(days=AWARD_BEFORE_DAYS)
            <= notice.published
            <= notified + timedelta(days=AWARD_AFTER_DAYS)
        )
    return notice.published <= notified <= notice.published + timedelta(days=WINDOW_DAYS)


def _distinctive(ref: str) -> bool:
    """A reference unlikely to be another buyer's too: letters and digits, eight characters at least."""
    return len(ref) >= 8 and any(c.isdigit() for c in ref) and any(c.isalpha() for c in ref)


def _by_reference_alone(contract: dict[str, Any], ref: str, index: Index, notified: date | None) -> NoticeRef | None:
    """A notice that names no SIRET (BOAMP's flat records) with exactly the contract's distinctive id as its
    reference, published before the notification, of a buyer whose name fits when both are known: its first
    notice when they are all of one procedure, else none."""
    if not _distinctive(ref):
        return None
    siret = contract["buyer_siret"]
    found = [
        n
        for n in index.by_ref.get(ref, [])
        if (n.siret is None or bool(siret) and n.siret[:9] == siret[:9])
        and (notified is None or n.published is None or n.published <= notified)
    ]
    buyer = normalise_text(contract.get("buyer_name"))
    if buyer:
        found = [n for n in found if not n.buyer or fuzz.token_set_ratio(buyer, n.buyer) >= 70]
    if len({index.procedure(n) for n in found}) != 1:
        return None
    return min(found, key=lambda n: (n.kind == "award", n.published or date.max))


def find_link(
    contract: dict[str, Any], index: Index, holders: frozenset[str] = frozenset()
) -> tuple[NoticeRef, str, float] | str:
    """(notice, linked_by, score) for one contract row (and its holders' SIRETs), or why there is none
    ("no_buyer", "none", "ambiguous")."""
    siret = contract["buyer_siret"]
    notified = date.fromisoformat(contract["notified"]) if contract["notified"] else None
    ref = _norm_ref(contract["id"])
    candidates = index.by_siren.get(siret[:9], []) if siret else []
    if ref:
        same_buyer = [
            n
            for n in candidates
            if n.reference
            and (ref == n.reference or (len(n.reference) >= 6 and ref.startswith(n.reference)))
            and (notified is None or n.published is None or n.published <= notified + timedelta(days=AWARD_AFTER_DAYS))
        ]
        if same_buyer:
            best = max(same_buyer, key=lambda n: (n.reference == ref, n.kind != "award", n.published or date.min))
            return best, "reference", 1.0
        alone = _by_reference_alone(contract, ref, index, notified)
        if alone:
            return alone, "reference", REFERENCE_ALONE
    text = normalise_text(contract["object"])
    if not siret and not holders:
        return "no_buyer"
    if not text:
        return "none"
    scored = []
    for n in candidates:
        if _in_window(n, notified):
            score = similarity(text, n.titles) + (1.0 if n.siret == siret else 0.0)
            if score >= THRESHOLD:
                scored.append((score, n.kind != "award", "buyer_object_date", n))
    seen = {(n.source, n.source_id) for *_, n in scored}
    for holder in holders:  # an award notice naming the same winner: the object may be worded more loosely
        for n in index.by_winner.get(holder, []):
            other_buyer = n.siret is not None and (not siret or n.siret[:9] != siret[:9])
            if (n.source, n.source_id) in seen or other_buyer or not _in_window(n, notified):
                continue
            score = similarity(text, n.titles)
            if score >= WINNER_THRESHOLD:
                seen.add((n.source, n.source_id))
                scored.append((score + WINNER_BONUS, False, "award_winner", n))
    if not scored:
        return "none"
    scored.sort(key=lambda s: (s[0], s[1]), reverse=True)
    best_score, _, how, best = scored[0]
    for score, _, _, other in scored[1:]:
        if index.procedure(other) != index.procedure(best) and best_score - score < AMBIGUITY:
            return "ambiguous"
    return best, how, round(min(best_score, 100.0) / 100, 3)


def link_contracts(db: sqlite_utils.Database, *, relink: bool = False) -> dict[str, int]:
    """Link the contracts not linked yet (all of them with `relink`); returns counts by outcome."""
    notices = _load_notices(db)
    by_siren: dict[str, list[NoticeRef]] = defaultdict(list)
    by_ref: dict[str, list[NoticeRef]] = defaultdict(list)
    by_winner: dict[str, list[NoticeRef]] = defaultdict(list)
    for n in notices:
        if n.siret:
            by_siren[n.siret[:9]].append(n)
        if n.reference:
            by_ref[n.reference].append(n)
        for holder in n.winners:
            by_winner[holder].append(n)
    procedure_of = {
        (r[0], r[1]): r[2] for r in db.execute("select source, source_id, procedure_id from procedure_notices")
    }
    index = Index(by_siren, by_ref, by_winner, procedure_of)
    holders: dict[str, set[str]] = defaultdict(set)
    for uid, winner_id in db.execute(
        "select uid, winner_id from contract_winners where id_type is null or id_type = 'SIRET'"
    ):
        if winner_id and len(winner_id) == 14 and winner_id in by_winner:
            holders[uid].add(winner_id)
    counts = {
        "reference": 0,
        "buyer_object_date": 0,
        "award_winner": 0,
        "none": 0,
        "ambiguous": 0,
        "no_buyer": 0,
        "kept": 0,
    }
    where = "" if relink else "where linked_by is null"
    updates = []
    for contract in db.query(
        f"select uid, id, buyer_siret, buyer_name, object, notified, notice_source, notice_source_id, procedure_id, "
        f"linked_by "
        f"from contracts {where}"
    ):
        found = find_link(contract, index, frozenset(holders.get(contract["uid"], ())))
        if isinstance(found, str):
            counts[found] += 1
            if contract["linked_by"] is not None:  # --relink found it no longer holds
                updates.append((None, None, None, None, None, contract["uid"]))
            continue
        notice, how, score = found
        counts[how] += 1
        updates.append(
            (
                notice.source,
                notice.source_id,
                procedure_of.get((notice.source, notice.source_id)),
                how,
                score,
                contract["uid"],
            )
        )
    refreshed = []
    if not relink:  # linked earlier: their procedure may have been rebuilt under another id
        for uid, source, source_id, procedure_id in db.execute(
            "select uid, notice_source, notice_source_id, procedure_id from contracts where linked_by is not null"
        ).fetchall():
            counts["kept"] += 1
            current = procedure_of.get((source, source_id))
            if current != procedure_id:
                refreshed.append((current, uid))
    with db.conn:
        db.conn.executemany(
            "update contracts set notice_source = ?, notice_source_id = ?, procedure_id = ?, linked_by = ?, "
            "link_score = ? where uid = ?",
            updates,
        )
        db.conn.executemany("update contracts set procedure_id = ? where uid = ?", refreshed)
    return counts
