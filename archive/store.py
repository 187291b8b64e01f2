"""Writing to the archive: notices (upsert, change detection), quarantine, watermarks (runs: archive.runs).

A notice is keyed by (source, source_id), so a re-run or an overlapping window never duplicates it. A
content hash of the normalized notice tells new / updated / unchanged apart: an unchanged notice is not
written at all, so re-running a crawl changes no row, and `updated_at` marks real changes for the later
stages (alerts send updated tenders again only when they changed).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import sqlite_utils

from archive.db import now_iso
from notices.model import Notice

Key = TypeVar("Key")


@dataclass
class UpsertCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0

    def __iadd__(self, other: UpsertCounts) -> UpsertCounts:
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        return self


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def first_seen_of_changes(
    hashes: dict[Key, str], existing: dict[Key, tuple[str, str]], now: str, counts: UpsertCounts
) -> dict[Key, str]:
    """The keys to write, each with its `first_seen`, by content hash against `existing` (key -> (content_hash,
    first_seen)): a new row is first seen now, an updated one keeps its own, an unchanged one is not written
    at all (and not in the result). Shared by every hash-keyed table (notices, contracts)."""
    changed: dict[Key, str] = {}
    for key, content_hash in hashes.items():
        old = existing.get(key)
        if old is None:
            counts.new += 1
            changed[key] = now
        elif old[0] == content_hash:
            counts.unchanged += 1
        else:
            counts.updated += 1
            changed[key] = old[1]
    return changed


def sort_changes(
    rows: dict[Key, dict[str, Any]], existing: dict[Key, tuple[str, str]], now: str, counts: UpsertCounts
) -> list[Key]:
    """The keys of the rows to write (first_seen_of_changes), their rows given `first_seen` and `updated_at`."""
    changed = first_seen_of_changes({k: row["content_hash"] for k, row in rows.items()}, existing, now, counts)
    for key, first_seen in changed.items():
        rows[key]["first_seen"], rows[key]["updated_at"] = first_seen, now
    return list(changed)


def notice_row(notice: Notice) -> dict[str, Any]:
    """The `notices` row of a notice (without timestamps); nested parts as JSON text."""
    d = notice.to_dict()
    deadline_utc = notice.deadline.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if notice.deadline else None
    row = {
        "source": notice.source,
        "source_id": notice.source_id,
        "url": notice.url,
        "title": notice.title,
        "description": notice.description,
        "notes": notice.notes,
        "buyer_name": notice.buyer.name,
        "buyer_siret": notice.buyer.siret,
        "buyer_city": notice.buyer.city,
        "buyer_postal_code": notice.buyer.postal_code,
        "kind": notice.kind,
        "status": notice.status,
        "alt_ids": _json(d["alt_ids"]),
        "previous_ids": _json(d["previous_ids"]),
        "procedure_id": notice.procedure_id,
        "reference": notice.reference,
        "published": d["published"],
        "deadline": d["deadline"],
        "deadline_utc": deadline_utc,
        "cpv": _json(d["cpv"]),
        "descriptors": _json(d["descriptors"]),
        "departements": _json(d["departements"]),
        "nuts": _json(d["nuts"]),
        "place": notice.place,
        "contract_type": notice.contract_type,
        "value": notice.value,
        "currency": notice.currency,
        "lots": _json(d["lots"]),
        "awards": _json(d["awards"]),
        "social": _json(d["social"]),
    }
    row["content_hash"] = hashlib.sha1(_json(row).encode()).hexdigest()
    # Outside the hash, so that a notice with nothing set aside keeps the hash it had before these columns.
    row["deadline_unknown"] = 1 if notice.deadline_unknown else None
    row["warnings"] = _json(notice.warnings) if notice.warnings else None
    if notice.warnings or notice.deadline_unknown:
        row["content_hash"] = hashlib.sha1((row["content_hash"] + _json(notice.warnings)).encode()).hexdigest()
    # Upcoming purchases (migration 012): outside the hash too, for the same reason.
    row["expected_publication"] = d["expected_publication"]
    row["value_band"] = notice.value_band
    if notice.expected_publication or notice.value_band:
        extra = _json([row["expected_publication"], notice.value_band])
        row["content_hash"] = hashlib.sha1((row["content_hash"] + extra).encode()).hexdigest()
    return row


class Archive:
    """The write side of the archive used by spiders and commands."""

    def __init__(self, db: sqlite_utils.Database):
        self.db = db

    # -- notices ---------------------------------------------------------------------------------
    def upsert_notices(self, notices: Iterable[Notice]) -> UpsertCounts:
        by_key: dict[tuple[str, str], Notice] = {}
        for n in notices:
            by_key[n.key] = n  # the last reading of a notice in a batch wins
        counts = UpsertCounts()
        if not by_key:
            return counts
        rows = {key: notice_row(n) for key, n in by_key.items()}
        now = now_iso()
        changed = sort_changes(rows, self._existing_hashes(list(rows)), now, counts)
        changed_rows = [rows[key] for key in changed]
        raw_rows = [
            {"source": key[0], "source_id": key[1], "raw": by_key[key].raw, "fetched_at": now}
            for key in changed
            if by_key[key].raw is not None
        ]
        with self.db.conn:
            if changed_rows:
                self.db["notices"].upsert_all(changed_rows, pk=("source", "source_id"), batch_size=200)
            if raw_rows:
                self.db["raw_records"].upsert_all(raw_rows, pk=("source", "source_id"), batch_size=200)
            self._index_departements(changed_rows)
            self._resolve_quarantine(list(rows))
        return counts

    def _index_departements(self, rows: list[dict[str, Any]]) -> None:
        """notice_departements: one row per notice and département, so alerts select by place with an index."""
        if not rows:
            return
        self.db.conn.executemany(
            "delete from notice_departements where source = ? and source_id = ?",
            [(r["source"], r["source_id"]) for r in rows],
        )
        self.db.conn.executemany(
            "insert or ignore into notice_departements (source, source_id, departement) values (?, ?, ?)",
            [(r["source"], r["source_id"], d) for r in rows for d in json.loads(r["departements"])],
        )

    def _existing_hashes(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, str]]:
        found: dict[tuple[str, str], tuple[str, str]] = {}
        for i in range(0, len(keys), 400):
            chunk = keys[i : i + 400]
            clause = " or ".join(["(source = ? and source_id = ?)"] * len(chunk))
            params = [p for key in chunk for p in key]
            sql = f"select source, source_id, content_hash, first_seen from notices where {clause}"
            for source, source_id, content_hash, first_seen in self.db.execute(sql, params):
                found[(source, source_id)] = (content_hash, first_seen)
        return found

    def _resolve_quarantine(self, keys: list[tuple[str, str]]) -> None:
        """A record that now parses (parser fixed, source corrected) leaves the quarantine."""
        for i in range(0, len(keys), 400):
            chunk = keys[i : i + 400]
            clause = " or ".join(["(source = ? and source_id = ?)"] * len(chunk))
            self.db.execute(f"delete from quarantine where {clause}", [p for key in chunk for p in key])

    # -- quarantine ------------------------------------------------------------------------------
    def quarantine(self, source: str, source_id: str | None, error: str, raw: str, context: str = "") -> None:
        row_id = hashlib.sha1(f"{source}\n{raw}".encode()).hexdigest()
        now = now_iso()
        with self.db.conn:
            self.db.execute(
                """insert into quarantine (id, source, source_id, error, context, raw, first_seen, last_seen,
                   times_seen) values (?, ?, ?, ?, ?, ?, ?, ?, 1)
                   on conflict(id) do update set error = excluded.error, context = excluded.context,
                   last_seen = excluded.last_seen, times_seen = quarantine.times_seen + 1""",
                [row_id, source, source_id, error, context, raw, now, now],
            )

    # -- watermarks and windows ------------------------------------------------------------------
    def watermark(self, source: str, endpoint: str) -> date | None:
        row = self.db.execute(
            "select value from watermarks where source = ? and endpoint = ?", [source, endpoint]
        ).fetchone()
        return date.fromisoformat(row[0]) if row else None

    def complete_window(
        self, source: str, endpoint: str, start: date, end: date, records: int, *, final: bool, crawl_from: date
    ) -> date | None:
        """Record a completely read window; advance the watermark over contiguous final windows.

        The watermark is the last publication day up to which every notice is known to be archived. It
        moves only across windows that were read whole and are final (their days are over), and only
        contiguously, so a failed or skipped window is read again by the next run.
        """
        now = now_iso()
        with self.db.conn:
            self.db["crawl_windows"].upsert(
                {
                    "source": source,
                    "endpoint": endpoint,
                    "start": start.isoformat(),
                    "end": end.isoformat(),
                    "records": records,
                    "final": int(final),
                    "completed_at": now,
                },
                pk=("source", "endpoint", "start", "end"),
            )
            current = self.watermark(source, endpoint)
            base = current or (crawl_from - timedelta(days=1))
            windows = self.db.execute(
                "select start, end from crawl_windows where source = ? and endpoint = ? and final = 1 and end > ?"
                " order by start",
                [source, endpoint, base.isoformat()],
            ).fetchall()
            mark = base
            for w_start, w_end in windows:
                if date.fromisoformat(w_start) > mark + timedelta(days=1):
                    break  # a gap: the days in between were not read whole
                mark = max(mark, date.fromisoformat(w_end))
            if mark > base:
                self.db["watermarks"].upsert(
                    {"source": source, "endpoint": endpoint, "value": mark.isoformat(), "updated_at": now},
                    pk=("source", "endpoint"),
                )
                return mark
        return None


def today_paris() -> date:
    from notices.dates import PARIS

    return datetime.now(PARIS).date()
