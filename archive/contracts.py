"""Writing awarded contracts (DECP) and the companies register into the archive.

A contract is keyed by its national `uid`, so a re-run, an overlapping file or the same contract in two
DECP datasets never duplicates it; a content hash tells new / updated / unchanged apart, as for notices
(archive.store). Its holders and modifications are rewritten with it. The companies register is keyed by
SIREN; a later file adds what an earlier one did not know (an SIAE list gives the kind, Sirene the size and
the ESS flag) and never turns a known value back into unknown.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from operator import itemgetter
from typing import Any

import sqlite_utils

from archive.db import now_iso
from archive.store import UpsertCounts, sort_changes
from notices.companies import Company
from notices.contracts import Contract

_ENCODE = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode


BULK_TABLES = ("contracts", "contract_winners")  # their secondary indexes are built after a first load


def _json(value: Any) -> str:
    """As json.dumps(value, ensure_ascii=False, sort_keys=True), with one encoder for every row."""
    return "[]" if value == [] else _ENCODE(value)


def _flag(contract: Contract, code: str) -> int | None:
    if not contract.social_stated:
        return None
    return 1 if code in contract.social else 0


def _bool(value: bool | None) -> int | None:
    return None if value is None else int(value)


def contract_row(contract: Contract) -> dict[str, Any]:
    """The `contracts` row of a contract (without timestamps and link columns)."""
    row = {
        "uid": contract.uid,
        "id": contract.id,
        "source": contract.source,
        "dataset": contract.dataset,
        "nature": contract.nature,
        "buyer_siret": contract.buyer_siret,
        "buyer_name": contract.buyer_name,
        "object": contract.object,
        "cpv": contract.cpv,
        "procedure": contract.procedure,
        "notified": contract.notified.isoformat() if contract.notified else None,
        "published": contract.published.isoformat() if contract.published else None,
        "duration_months": contract.duration_months,
        "amount": contract.amount,
        "initial_amount": contract.initial_amount,
        "place_code": contract.place_code,
        "place_type": contract.place_type,
        "departement": contract.departement,
        "social": _json(contract.social),
        "social_stated": 1 if contract.social_stated else 0,
        "social_clause": _flag(contract, "clause"),
        "social_criterion": _flag(contract, "criterion"),
        "reserved": _flag(contract, "reserved"),
        "environmental": _json(contract.environmental),
        "subcontracting_declared": _bool(contract.subcontracting_declared),
        "grouping": contract.grouping,
        "framework_id": contract.framework_id,
        "winners": len(contract.winners),
        "warnings": _json(contract.warnings) if contract.warnings else None,
    }
    # The hash covers the row's values in their fixed order (the dict above), the holders and the
    # modifications: repr is deterministic for these str/int/float/None/tuple values and much cheaper than
    # JSON. Changing its form counts every contract once as updated on the next load (README, Upgrade).
    hashed = (
        tuple(row.values()),
        [(w.id, w.id_type, w.name) for w in contract.winners],
        [
            (m.id, m.notified and m.notified.isoformat(), m.amount, m.duration_months, [w.id for w in m.winners])
            for m in contract.modifications
        ],
    )
    row["content_hash"] = hashlib.sha1(repr(hashed).encode()).hexdigest()
    return row


class ContractStore:
    """The write side for contracts and companies, used by the DECP pipeline and the register loader."""

    def __init__(self, db: sqlite_utils.Database):
        self.db = db
        self._headers: dict[str, int] = {}

    def _header_id(self, header: str | None) -> int | None:
        """The id of a CSV header line in `contract_raw_headers` (stored once per file layout)."""
        if header is None:
            return None
        if header not in self._headers:
            self.db.conn.execute("insert or ignore into contract_raw_headers (header) values (?)", [header])
            found = self.db.execute("select id from contract_raw_headers where header = ?", [header]).fetchone()
            self._headers[header] = found[0]
        return self._headers[header]

    @contextmanager
    def bulk(self) -> Iterator[None]:
        """A load into an empty archive (the first `contracts load` of a national file): the secondary indexes
        of `contracts` and `contract_winners` are dropped first and built once at the end, much cheaper than
        keeping them up to date row by row. An archive that holds contracts keeps its indexes (a re-load
        writes few rows). The indexes are built again whatever happens in between."""
        if self.db.execute("select 1 from contracts limit 1").fetchone():
            yield
            return
        indexes = self.db.execute(
            "select name, sql from sqlite_master where type = 'index' and sql is not null"
            f" and tbl_name in ({', '.join('?' * len(BULK_TABLES))})",
            BULK_TABLES,
        ).fetchall()
        with self.db.conn:
            for name, _ in indexes:
                self.db.conn.execute(f'drop index "{name}"')
        try:
            yield
        finally:
            with self.db.conn:
                for _, sql in indexes:
                    self.db.conn.execute(sql)

    def upsert_contracts(self, contracts: Iterable[Contract]) -> UpsertCounts:
        by_uid: dict[str, Contract] = {}
        for c in contracts:
            by_uid[c.uid] = c  # the last reading of a contract in a batch wins
        counts = UpsertCounts()
        if not by_uid:
            return counts
        rows = {uid: contract_row(c) for uid, c in by_uid.items()}
        existing: dict[str, tuple[str, str]] = {}
        uids = list(rows)
        for i in range(0, len(uids), 500):
            chunk = uids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for uid, content_hash, first_seen in self.db.execute(
                f"select uid, content_hash, first_seen from contracts where uid in ({marks})", chunk
            ):
                existing[uid] = (content_hash, first_seen)
        now = now_iso()
        changed_uids = sort_changes(rows, existing, now, counts)
        if not changed_uids:
            return counts
        changed = [rows[u] for u in changed_uids]
        winners = [
            {"uid": c.uid, "position": i, "winner_id": w.id, "id_type": w.id_type, "siren": w.siren, "name": w.name}
            for c in (by_uid[u] for u in changed_uids)
            for i, w in enumerate(c.winners)
        ]
        modifications = [
            {
                "uid": c.uid,
                "modification_id": m.id,
                "notified": m.notified.isoformat() if m.notified else None,
                "published": m.published.isoformat() if m.published else None,
                "amount": m.amount,
                "duration_months": m.duration_months,
                "winners": _json([{"id": w.id, "id_type": w.id_type} for w in m.winners]) if m.winners else None,
            }
            for c in (by_uid[u] for u in changed_uids)
            for m in c.modifications
        ]
        raws = [
            {"uid": u, "raw": c.raw, "fetched_at": now, "header_id": self._header_id(c.raw_header)}
            for u, c in ((u, by_uid[u]) for u in changed_uids)
            if c.raw is not None
        ]
        with self.db.conn:
            # Link columns belong to the linker (archive.contract_links): an update keeps them.
            _upsert(self.db, "contracts", changed, ("uid",))
            # a new contract has no holders nor modifications yet: only an updated one's are cleared
            updated = [(u,) for u in changed_uids if u in existing]
            for table in ("contract_winners", "contract_modifications"):
                self.db.conn.executemany(f"delete from {table} where uid = ?", updated)
            _upsert(self.db, "contract_winners", winners, ("uid", "position"))
            _upsert(self.db, "contract_modifications", modifications, ("uid", "modification_id"))
            _upsert(self.db, "contract_raw", raws, ("uid",))
        return counts

    def upsert_companies(self, companies: Iterable[Company]) -> int:
        """Merge what the register files say into `companies`; returns the number of SIRENs touched."""
        merged: dict[str, Company] = {}
        for c in companies:
            merged[c.siren] = _merge(merged.get(c.siren), c)
        if not merged:
            return 0
        sirens = list(merged)
        for i in range(0, len(sirens), 500):
            chunk = sirens[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for row in self.db.query(f"select * from companies where siren in ({marks})", chunk):
                merged[row["siren"]] = _merge(_company(row), merged[row["siren"]])
        now = now_iso()
        rows = [
            {
                "siren": c.siren,
                "name": c.name,
                "ess": None if c.ess is None else int(c.ess),
                "inclusive_kind": c.inclusive_kind,
                "size": c.size,
                "headcount_band": c.headcount_band,
                "naf": c.naf,
                "legal_category": c.legal_category,
                "sources": _json(c.sources),
                "updated_at": now,
            }
            for c in merged.values()
        ]
        with self.db.conn:
            _upsert(self.db, "companies", rows, ("siren",))
        return len(rows)


def _upsert(db: sqlite_utils.Database, table: str, rows: list[dict[str, Any]], key: tuple[str, ...]) -> None:
    """Insert rows (all with the same columns), updating only those columns of a row already there: the
    columns a row does not carry (the contracts' link columns) keep their values. Plain executemany: on a
    year of contracts this is several times faster than sqlite_utils' upsert_all."""
    if not rows:
        return
    columns = list(rows[0])
    names = ", ".join(f'"{c}"' for c in columns)
    updates = (
        ", ".join(f'"{c}" = excluded."{c}"' for c in columns if c not in key) or f'"{key[0]}" = excluded."{key[0]}"'
    )
    sql = (
        f'insert into "{table}" ({names}) values ({", ".join("?" * len(columns))}) '
        f"on conflict ({', '.join(key)}) do update set {updates}"
    )
    values = itemgetter(*columns) if len(columns) > 1 else (lambda row: (row[columns[0]],))
    db.conn.executemany(sql, map(values, rows))


def _company(row: dict[str, Any]) -> Company:
    return Company(
        siren=row["siren"],
        name=row["name"],
        ess=None if row["ess"] is None else bool(row["ess"]),
        inclusive_kind=row["inclusive_kind"],
        size=row["size"],
        headcount_band=row["headcount_band"],
        naf=row["naf"],
        legal_category=row["legal_category"],
        sources=json.loads(row["sources"] or "[]"),
    )


def _merge(old: Company | None, new: Company) -> Company:
    """`new` wins where it knows something; what only `old` knew is kept."""
    if old is None:
        return new
    return Company(
        siren=new.siren,
        name=new.name or old.name,
        ess=new.ess if new.ess is not None else old.ess,
        inclusive_kind=new.inclusive_kind or old.inclusive_kind,
        size=new.size or old.size,
        headcount_band=new.headcount_band or old.headcount_band,
        naf=new.naf or old.naf,
        legal_category=new.legal_category or old.legal_category,
        sources=sorted(set(old.sources) | set(new.sources)),
    )
