"""The upcoming-purchase stage: what buyers announce before the call, and which call each announcement became.

Upcoming purchases are the archive's prior-information notices (kind `prior_information`): TED and BOAMP
PINs and the buyers' APProch programmes. A PIN used as a call for competition (eForms pin-cfc-*, with an
expression-of-interest deadline) is one of them: it announces the invitation to tender that will follow, and
its deadline is the date by which a structure must say it is interested (alerts show it so).

`link` (the link job, after the procedures) finds, for each upcoming purchase, the call published later:
- the same procedure (the call refers to the PIN, or shares its procedure id): score 100;
- else the same buyer (SIREN = the first 9 digits of the SIRET on both; a buyer name at least BUYER_MIN
  similar when either side has no SIREN, as TED and BOAMP PINs often), no CPV mismatch (a shared 5-digit
  prefix, or at least a shared 3-digit one with a closer title), a similar title (rapidfuzz over the words
  that say what is bought, the procurement boilerplate left out), published on or after the announcement
  and within the window around the expected date (WINDOW_BEFORE days before, WINDOW_AFTER after; without
  an expected date, within WINDOW_AFTER days of the announcement). The best-scoring call wins.
It is the one writer of `upcoming_links`; a re-run that finds the same links changes no row.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlite_utils
from rapidfuzz import fuzz

from archive.db import now_iso
from archive.procedures import normalise_text

WINDOW_BEFORE = 90  # days: a call may come out this long before the date the buyer expected
WINDOW_AFTER = 300  # days after the expected date (or the announcement) a late call is still this purchase
BUYER_MIN = 88.0  # buyer-name similarity when a side has no SIREN
MIN_TITLE = {5: 55.0, 3: 70.0, None: 80.0}  # title similarity needed, by CPV agreement (5 / 3 digits / unknown)
CPV_POINTS = {5: 100.0, 3: 70.0, None: 50.0}
# Words that say how, not what, is bought: left out of the title comparison (and words of 3 letters or less).
BOILERPLATE = frozenset(
    [
        "marche",
        "marches",
        "public",
        "publics",
        "accord",
        "accords",
        "cadre",
        "prestation",
        "prestations",
        "service",
        "services",
        "fourniture",
        "fournitures",
        "travaux",
        "lot",
        "lots",
        "relatif",
        "relative",
        "relatifs",
        "relatives",
        "concernant",
        "pour",
        "avec",
        "dans",
        "mise",
        "place",
        "achat",
        "achats",
        "acquisition",
        "procedure",
        "appel",
        "offres",
        "offre",
        "consultation",
        "besoins",
        "besoin",
        "objet",
        "divers",
        "diverses",
        "realisation",
        "execution",
        "annee",
        "annees",
    ]
)

Key = tuple[str, str]


@dataclass
class _Notice:
    key: Key
    kind: str
    status: str
    published: date | None
    expected: date | None
    title: str
    words: str
    buyer: str
    siren: str | None
    cpv: list[str]
    procedure: str | None


def title_words(title: str | None) -> str:
    """The words of a title that name what is bought ("Fourniture de repas pour les écoles" -> "repas ecoles")."""
    return " ".join(w for w in normalise_text(title).split() if len(w) > 3 and w not in BOILERPLATE)


def _siren(siret: str | None) -> str | None:
    digits = re.sub(r"\D", "", siret or "")
    return digits[:9] if len(digits) >= 9 else None


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def _load(db: sqlite_utils.Database) -> list[_Notice]:
    sql = """select n.source, n.source_id, n.kind, n.status, n.published, n.expected_publication, n.title,
             n.buyer_name, n.buyer_siret, n.cpv, pn.procedure_id from notices n
             left join procedure_notices pn on pn.source = n.source and pn.source_id = n.source_id
             where n.kind in ('prior_information', 'contract_notice')"""
    out = []
    for r in db.execute(sql):
        try:
            cpv = [c for c in json.loads(r[9] or "[]") if isinstance(c, str)]
        except (ValueError, TypeError):
            cpv = []
        out.append(
            _Notice(
                key=(r[0], r[1]),
                kind=r[2],
                status=r[3],
                published=_day(r[4]),
                expected=_day(r[5]),
                title=r[6] or "",
                words=title_words(r[6]),
                buyer=normalise_text(r[7]),
                siren=_siren(r[8]),
                cpv=cpv,
                procedure=r[10],
            )
        )
    return out


def cpv_agreement(a: list[str], b: list[str]) -> int | None:
    """5 (a shared 5-digit prefix), 3 (a shared 3-digit one), 0 (both coded, nothing shared), None (unknown)."""
    if not a or not b:
        return None
    for digits in (5, 3):
        if {c[:digits] for c in a} & {c[:digits] for c in b}:
            return digits
    return 0


def same_buyer(up: _Notice, call: _Notice) -> bool:
    if up.siren and call.siren:
        return up.siren == call.siren
    return bool(up.buyer and call.buyer) and fuzz.token_set_ratio(up.buyer, call.buyer) >= BUYER_MIN


def in_window(up: _Notice, call: _Notice) -> bool:
    """Published on or after the announcement, and around the expected date."""
    if call.published is None:
        return False
    if up.published and call.published < up.published:
        return False
    if up.expected:
        return (
            up.expected - timedelta(days=WINDOW_BEFORE) <= call.published <= up.expected + timedelta(days=WINDOW_AFTER)
        )
    return up.published is not None and call.published <= up.published + timedelta(days=WINDOW_AFTER)


def score(up: _Notice, call: _Notice) -> float | None:
    """How surely `call` is the call `up` announced (0-100), or None when it cannot be."""
    if not in_window(up, call):  # the cheap tests first: most candidates fail them
        return None
    cpv = cpv_agreement(up.cpv, call.cpv)
    if cpv == 0 or not same_buyer(up, call):
        return None
    if not up.words or not call.words:
        return None
    title = fuzz.token_set_ratio(up.words, call.words)
    if title < MIN_TITLE[cpv]:
        return None
    return round(0.7 * title + 0.3 * CPV_POINTS[cpv], 1)


# Words of buyer names too common to say which buyer it is: not used to find candidate calls.
COMMON_BUYER_WORDS = frozenset(
    [
        "ville",
        "commune",
        "communes",
        "communaute",
        "agglomeration",
        "departement",
        "departemental",
        "conseil",
        "region",
        "regional",
        "centre",
        "hospitalier",
        "hospitaliere",
        "universitaire",
        "syndicat",
        "mairie",
        "direction",
        "service",
        "services",
        "public",
        "publique",
        "office",
        "etablissement",
        "metropole",
        "territoriale",
        "territorial",
        "intercommunal",
        "intercommunale",
        "habitat",
        "societe",
    ]
)


def buyer_keys(name: str) -> set[str]:
    """The words of a normalised buyer name that tell buyers apart ("ville de saint denis" -> {"saint", "denis"}),
    or the whole name when it has none."""
    words = {w for w in name.split() if len(w) > 3 and w not in COMMON_BUYER_WORDS}
    return words or ({name} if name else set())


class _Calls:
    """The calls, indexed by buyer SIREN, by the distinctive words of the buyer's name and by procedure, so an
    announcement is compared only with the calls of its buyer (a candidate must share the SIREN, or a
    distinctive word of the name: a buyer name BUYER_MIN similar shares one)."""

    def __init__(self, calls: list[_Notice]):
        self.by_procedure: dict[str, list[_Notice]] = defaultdict(list)
        self.by_siren: dict[str, list[_Notice]] = defaultdict(list)
        self.by_word: dict[str, list[_Notice]] = defaultdict(list)
        self.all = calls
        for c in calls:
            if c.procedure:
                self.by_procedure[c.procedure].append(c)
            if c.siren:
                self.by_siren[c.siren].append(c)
            for word in buyer_keys(c.buyer):
                self.by_word[word].append(c)

    def candidates(self, up: _Notice) -> list[_Notice]:
        """The calls of the same SIREN, and those naming the buyer alike (compared by name when a side has
        no SIREN: `same_buyer`)."""
        found: dict[Key, _Notice] = {}
        if up.siren:
            found.update((c.key, c) for c in self.by_siren.get(up.siren, []))
        for word in buyer_keys(up.buyer):
            found.update((c.key, c) for c in self.by_word.get(word, []) if not (up.siren and c.siren))
        return list(found.values())


def find_links(notices: list[_Notice]) -> dict[Key, dict[str, Any]]:
    """upcoming key -> its link row (without the stamp)."""
    upcoming = [n for n in notices if n.kind == "prior_information" and n.status != "cancellation"]
    calls = _Calls([n for n in notices if n.kind == "contract_notice" and n.status != "cancellation" and n.published])
    links: dict[Key, dict[str, Any]] = {}
    for up in upcoming:
        best: tuple[float, int, _Notice, str] | None = None
        same = calls.by_procedure.get(up.procedure or "", [])
        if same:
            best = (100.0, 0, min(same, key=lambda c: (c.published, c.key)), "same procedure")
        else:
            for call in calls.candidates(up):
                s = score(up, call)
                if s is None:
                    continue
                gap = abs((call.published - (up.expected or up.published or call.published)).days)
                if best is None or (s, -gap, call.key) > (best[0], -best[1], best[2].key):
                    best = (s, gap, call, "buyer_cpv_title")
        if best is None:
            continue
        s, _, call, method = best
        links[up.key] = {
            "upcoming_source": up.key[0],
            "upcoming_source_id": up.key[1],
            "call_source": call.key[0],
            "call_source_id": call.key[1],
            "score": s,
            "method": method,
            "announced": up.published.isoformat() if up.published else None,
            "expected": up.expected.isoformat() if up.expected else None,
            "published": call.published.isoformat() if call.published else None,
        }
    return links


def link(db: sqlite_utils.Database) -> dict[str, int]:
    """Rebuild `upcoming_links` from the archive; returns {"upcoming", "linked", "new", "changed", "dropped"}."""
    notices = _load(db)
    found = find_links(notices)
    existing = {(r["upcoming_source"], r["upcoming_source_id"]): r for r in db["upcoming_links"].rows}
    stamp = now_iso()
    changed = []
    for key, row in found.items():
        old = existing.get(key)
        if old is not None and all(old[k] == v for k, v in row.items()):
            continue
        changed.append({**row, "linked_at": stamp})
    dropped = [key for key in existing if key not in found]
    with db.conn:
        if changed:
            db["upcoming_links"].upsert_all(changed, pk=("upcoming_source", "upcoming_source_id"))
        db.conn.executemany("delete from upcoming_links where upcoming_source = ? and upcoming_source_id = ?", dropped)
    new = sum(1 for r in changed if (r["upcoming_source"], r["upcoming_source_id"]) not in existing)
    return {
        "upcoming": sum(1 for n in notices if n.kind == "prior_information"),
        "linked": len(found),
        "new": new,
        "changed": len(changed) - new,
        "dropped": len(dropped),
    }
