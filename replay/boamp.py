"""The BOAMP Explore v2.1 API, replayed from recorded records.

Serves `GET {base}/records` and `GET {base}/exports/json` for the dataset `boamp` with the semantics the
reference documents: `where` (ODSQL subset), `order_by`, `limit` at most 100, `offset + limit` at most
10,000 ("Use the export API to download all records"), `{"total_count", "results"}` responses, and an
export that streams every matching record with no cap.
"""

from __future__ import annotations

import ast
import copy
import json
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from replay.odsql import ODSQLError, compile_where
from replay.server import ReplayServer, Request, Response

DATASET_PATH = "/api/explore/v2.1/catalog/datasets/boamp"
MAX_LIMIT = 100
MAX_WINDOW = 10_000


def load_records(paths: Iterable[str | Path]) -> list[dict[str, Any]]:
    """Records of recorded API responses ({"total_count", "results"}), JSON lists, or JSON Lines (one record
    per line, as exported to CSV: see `api_shape`), in file order; a directory gives its .json and .jsonl files."""
    records: list[dict[str, Any]] = []
    for path in paths:
        p = Path(path)
        files = sorted([*p.glob("*.json"), *p.glob("*.jsonl")]) if p.is_dir() else [p]
        for f in files:
            text = f.read_text(encoding="utf-8")
            if f.suffix.lower() == ".jsonl":
                records.extend(api_shape(json.loads(line)) for line in text.splitlines() if line.strip())
                continue
            data = json.loads(text)
            records.extend(data["results"] if isinstance(data, dict) else data)
    return records


def _flat_value(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if value == "":
        return None
    if value.startswith("[") and value.endswith("]"):
        try:
            parsed = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            return value
        if isinstance(parsed, list):
            return parsed
    return value


def api_shape(record: dict[str, Any]) -> dict[str, Any]:
    """A record as the API serves it, from a record that went through a CSV export (string values only).

    The export writes every value as a string: an absent value as "", a list as its Python repr
    ("['17']", "['', '10', '6']"). The API answers null for the former and a JSON list for the latter.
    Records already in API shape pass unchanged.
    """
    return {key: _flat_value(value) for key, value in record.items()}


def corrigendum_of(
    original: dict[str, Any], idweb: str, deadline: str, day: str, status: str = "RECTIFICATIF"
) -> dict[str, Any]:
    """A BOAMP corrigendum (or, with status ANNULATION, a cancellation) of an FNSimple record that moves its
    deadline, in the API's record shape: the record's identity, state, link and date changed, the deadline
    set in gestion and in the form. For tests and previews of what a corrigendum does downstream."""
    rec = copy.deepcopy(original)
    rec.update(idweb=idweb, etat=status, annonce_lie=[original["idweb"]], dateparution=day)
    gestion = json.loads(rec["gestion"])
    gestion["INDEXATION"]["DATE_LIMITE_REPONSE"] = deadline
    rec["gestion"] = json.dumps(gestion)
    donnees = json.loads(rec["donnees"])
    donnees["FNSimple"]["initial"]["procedure"]["dateReceptionOffres"] = deadline
    rec["donnees"] = json.dumps(donnees)
    return rec


def rekeyed(templates: Sequence[dict[str, Any]], count: int, days: Sequence[date]) -> list[dict[str, Any]]:
    """`count` real records re-keyed (unique idweb, publication day cycling over `days`) for volume tests.

    Only the identity and the publication day change; every other field, `donnees` included, stays the
    real recorded value, so parsing cost and shapes are those of real notices.
    """
    out = []
    for i in range(count):
        record = copy.copy(templates[i % len(templates)])
        record["idweb"] = f"R{i:07d}-{record['idweb']}"
        record["id"] = record["idweb"]
        record["dateparution"] = days[i % len(days)].isoformat()
        out.append(record)
    return out


def _error(status: int, code: str, message: str) -> Response:
    return Response(status, json.dumps({"error_code": code, "message": message}).encode())


class BoampDataset:
    """An Opendatasoft dataset served from records (BOAMP's; replay.approch serves APProch's under its own path)."""

    path = DATASET_PATH

    def __init__(self, records: list[dict[str, Any]]):
        self.records = records
        self.encoded = [json.dumps(r, ensure_ascii=False).encode() for r in records]
        self._select = lru_cache(maxsize=256)(self._select_uncached)

    def add(self, records: list[dict[str, Any]]) -> None:
        """Publish more notices (as BOAMP does during the day)."""
        self.records.extend(records)
        self.encoded.extend(json.dumps(r, ensure_ascii=False).encode() for r in records)
        self._select.cache_clear()

    def _select_uncached(self, where: str, order_by: str) -> tuple[int, ...]:
        pred = compile_where(where)
        idx = [i for i, r in enumerate(self.records) if pred(r)]
        for clause in reversed([c.strip() for c in order_by.split(",") if c.strip()]):
            field, _, direction = clause.partition(" ")
            desc = direction.strip().lower() == "desc"

            def key(i: int, field: str = field) -> tuple[bool, str]:
                value = self.records[i].get(field)
                return (value is None, str(value) if value is not None else "")

            idx.sort(key=key, reverse=desc)
        return tuple(idx)

    def records_endpoint(self, req: Request) -> Response:
        try:
            limit = int(req.query.get("limit", "10"))
            offset = int(req.query.get("offset", "0"))
        except ValueError:
            return _error(400, "InvalidRESTParameterError", "limit and offset must be integers")
        if limit > MAX_LIMIT or limit < -1:
            return _error(
                400,
                "InvalidRESTParameterError",
                f"Invalid value for limit API parameter: {limit} was found but -1 <= limit <= 100 is expected.",
            )
        if offset + limit > MAX_WINDOW:
            return _error(
                400,
                "InvalidRESTParameterError",
                f"Invalid value for sum of offset + limit API parameter: {offset + limit} was found but "
                f"<= {MAX_WINDOW} is expected. Use the export API to download all records.",
            )
        try:
            idx = self._select(req.query.get("where", ""), req.query.get("order_by", ""))
        except ODSQLError as exc:
            return _error(400, "ODSQLError", str(exc))
        page = idx[offset : offset + limit] if limit >= 0 else idx[offset:]
        body = b'{"total_count": %d, "results": [' % len(idx) + b", ".join(self.encoded[i] for i in page) + b"]}"
        return Response(200, body)

    def export_endpoint(self, req: Request) -> Response:
        try:
            idx = self._select(req.query.get("where", ""), req.query.get("order_by", ""))
        except ODSQLError as exc:
            return _error(400, "ODSQLError", str(exc))
        return Response(200, b"[" + b", ".join(self.encoded[i] for i in idx) + b"]")

    def mount(self, server: ReplayServer) -> str:
        """Register the routes; returns the dataset base URL to give the spider (WATCH_BOAMP_URL)."""
        server.route("GET", f"{self.path}/records", self.records_endpoint)
        server.route("GET", f"{self.path}/exports/json", self.export_endpoint)
        return server.url + self.path


def days_between(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]
