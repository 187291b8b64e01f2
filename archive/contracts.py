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
import marshal
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

import sqlite_utils

from archive.db import now_iso
from archive.store import UpsertCounts, first_seen_of_changes
from notices.companies import Company
from notices.contracts import Contract

_ENCODE = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode


BULK_TABLES = ("contracts", "contract_winners")  # their secondary indexes are built after a first load
BULK_CHECKPOINT_PAGES = 16_384  # 64 MB of WAL between two checkpoints during a load (SQLite's default: 1,000)


def _json(value: Any) -> str:
    """As json.dumps(value, ensure_ascii=False, sort_keys=True), with one encoder for every row."""
    return "[]" if value == [] else _ENCODE(value)


def _bool(value: bool | None) -> int | None:
    return None if value is None else int(value)


CONTRACT_COLUMNS = (
    "uid", "id", "source", "dataset", "nature", "buyer_siret", "buyer_name", "object", "cpv", "procedure", "notified",
    "published", "duration_months", "amount", "initial_amount", "place_code", "place_type", "departement", "social",
    "social_stated", "social_clause", "social_criterion", "reserved", "environmental", "subcontracting_declared",
    "grouping", "framework_id", "winners", "warnings",
)  # fmt: skip  # the columns of contract_values, in order (ContractRows.values)
WRITTEN_COLUMNS = (*CONTRACT_COLUMNS, "content_hash", "first_seen", "updated_at")
WINNER_COLUMNS = ("uid", "position", "winner_id", "id_type", "siren", "name")
MODIFICATION_COLUMNS = ("uid", "modification_id", "notified", "published", "amount", "duration_months", "winners")
RAW_COLUMNS = ("uid", "raw", "fetched_at", "header_id")
COMPANY_COLUMNS = (
    "siren", "name", "ess", "inclusive_kind", "size", "headcount_band", "naf", "legal_category", "sources",
    "updated_at",
)  # fmt: skip


def contract_values(contract: Contract) -> tuple[Any, ...]:
    """The `contracts` row of a contract (without hash, timestamps and link columns), in CONTRACT_COLUMNS order:
    a tuple, as a national load builds 150,000 of them."""
    social, notified, published = contract.social, contract.notified, contract.published
    stated = contract.social_stated
    return (
        contract.uid,
        contract.id,
        contract.source,
        contract.dataset,
        contract.nature,
        contract.buyer_siret,
        contract.buyer_name,
        contract.object,
        contract.cpv,
        contract.procedure,
        notified.isoformat() if notified else None,
        published.isoformat() if published else None,
        contract.duration_months,
        contract.amount,
        contract.initial_amount,
        contract.place_code,
        contract.place_type,
        contract.departement,
        _json(social),
        1 if stated else 0,
        (1 if "clause" in social else 0) if stated else None,  # social_clause
        (1 if "criterion" in social else 0) if stated else None,  # social_criterion
        (1 if "reserved" in social else 0) if stated else None,  # reserved
        _json(contract.environmental),
        _bool(contract.subcontracting_declared),
        contract.grouping,
        contract.framework_id,
        len(contract.winners),
        _json(contract.warnings) if contract.warnings else None,
    )


class ContractRows(NamedTuple):
    """A contract as the rows it is written as. Worked out without the archive, so that a big file's reader
    process can prepare them while the writing process writes (watch.files); plain values, cheap to send."""

    uid: str
    values: tuple[Any, ...]  # the `contracts` row (contract_values), in CONTRACT_COLUMNS order
    winners: list[tuple[Any, ...]]  # `contract_winners` rows, in WINNER_COLUMNS order
    modifications: list[tuple[Any, ...]]  # `contract_modifications` rows, in MODIFICATION_COLUMNS order
    raw: str | None  # the source record as read
    raw_header: str | None  # the CSV header line the raw line(s) belong to


def contract_rows(contract: Contract) -> ContractRows:
    uid = contract.uid
    return ContractRows(
        uid,
        contract_values(contract),
        [(uid, i, w.id, w.id_type, w.siren, w.name) for i, w in enumerate(contract.winners)],
        [
            (
                uid,
                m.id,
                m.notified.isoformat() if m.notified else None,
                m.published.isoformat() if m.published else None,
                m.amount,
                m.duration_months,
                _json([{"id": w.id, "id_type": w.id_type} for w in m.winners]) if m.winners else None,
            )
            for m in contract.modifications
        ],
        contract.raw,
        contract.raw_header,
    )


def content_hash(rows: ContractRows) -> str:
    """What tells a changed contract from an unchanged one: every value written for it (its row, holders and
    modifications), serialized by marshal's version 2 (no object references, so the same values always give
    the same bytes), much cheaper than JSON or repr. Changing its form counts every contract once as updated
    on the next load (README, Upgrade)."""
    return hashlib.sha1(marshal.dumps((rows.values, rows.winners, rows.modifications), 2)).hexdigest()


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
        writes few rows). The indexes are built again whatever happens in between. Throughout, the WAL is
        copied back into the archive every BULK_CHECKPOINT_PAGES instead of SQLite's 1,000 (4 MB): the same
        bytes in a sixteenth of the checkpoints, each of which syncs the files (about a fifth of the system time
        of a national load goes); the durability is the same, and the WAL file, up to 64 MB meanwhile, goes
        when the archive is closed."""
        (before,) = self.db.execute("PRAGMA wal_autocheckpoint").fetchone()
        self.db.execute(f"PRAGMA wal_autocheckpoint = {BULK_CHECKPOINT_PAGES}")
        try:
            with self._without_indexes():
                yield
        finally:
            self.db.execute(f"PRAGMA wal_autocheckpoint = {int(before)}")

    @contextmanager
    def _without_indexes(self) -> Iterator[None]:
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
        return self.write([contract_rows(c) for c in contracts])

    def write(self, prepared: Iterable[ContractRows]) -> UpsertCounts:
        """Write contracts already turned into rows (`contract_rows`): new and changed ones only, by hash."""
        by_uid: dict[str, ContractRows] = {}
        for c in prepared:
            by_uid[c.uid] = c  # the last reading of a contract in a batch wins
        counts = UpsertCounts()
        if not by_uid:
            return counts
        existing: dict[str, tuple[str, str]] = {}
        uids = list(by_uid)
        for i in range(0, len(uids), 500):
            chunk = uids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for uid, old_hash, old_first_seen in self.db.execute(
                f"select uid, content_hash, first_seen from contracts where uid in ({marks})", chunk
            ):
                existing[uid] = (old_hash, old_first_seen)
        now = now_iso()
        hashes = {uid: content_hash(c) for uid, c in by_uid.items()}
        first_seen = first_seen_of_changes(hashes, existing, now, counts)
        if not first_seen:
            return counts
        changed = [by_uid[u] for u in first_seen]
        rows = [(*c.values, hashes[c.uid], first_seen[c.uid], now) for c in changed]
        raws = [(c.uid, c.raw, now, self._header_id(c.raw_header)) for c in changed if c.raw is not None]
        with self.db.conn:
            # Link columns belong to the linker (archive.contract_links): an update keeps them.
            _upsert(self.db, "contracts", WRITTEN_COLUMNS, rows, ("uid",))
            # a new contract has no holders nor modifications yet: only an updated one's are cleared
            updated = [(u,) for u in first_seen if u in existing]
            for table in ("contract_winners", "contract_modifications"):
                self.db.conn.executemany(f"delete from {table} where uid = ?", updated)
            winners = [w for c in changed for w in c.winners]
            _upsert(self.db, "contract_winners", WINNER_COLUMNS, winners, ("uid", "position"))
            modifications = [m for c in changed for m in c.modifications]
            _upsert(self.db, "contract_modifications", MODIFICATION_COLUMNS, modifications, ("uid", "modification_id"))
            _upsert(self.db, "contract_raw", RAW_COLUMNS, raws, ("uid",))
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
            (
                c.siren,
                c.name,
                None if c.ess is None else int(c.ess),
                c.inclusive_kind,
                c.size,
                c.headcount_band,
                c.naf,
                c.legal_category,
                _json(c.sources),
                now,
            )
            for c in merged.values()
        ]
        with self.db.conn:
            _upsert(self.db, "companies", COMPANY_COLUMNS, rows, ("siren",))
        return len(rows)


def _upsert(
    db: sqlite_utils.Database, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]], key: tuple[str, ...]
) -> None:
    """Insert rows (tuples in `columns` order), updating only those columns of a row already there: the columns a
    row does not carry (the contracts' link columns) keep their values. Plain executemany: on a year of
    contracts this is several times faster than sqlite_utils' upsert_all."""
    if not rows:
        return
    names = ", ".join(f'"{c}"' for c in columns)
    updates = (
        ", ".join(f'"{c}" = excluded."{c}"' for c in columns if c not in key) or f'"{key[0]}" = excluded."{key[0]}"'
    )
    sql = (
        f'insert into "{table}" ({names}) values ({", ".join("?" * len(columns))}) '
        f"on conflict ({', '.join(key)}) do update set {updates}"
    )
    db.conn.executemany(sql, rows)


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
