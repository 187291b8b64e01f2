"""`run_watch.py inspect`: the normalized notices of recorded source files, as JSON.

Accepts BOAMP API responses ({"total_count", "results"}), JSON lists of records, and a single record.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from notices.boamp import RecordError, parse_record


class InspectError(ValueError):
    pass


def records_of(path: Path) -> list[Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InspectError(f"{path}: cannot read ({exc})") from exc
    except json.JSONDecodeError as exc:
        raise InspectError(f"{path}: not JSON ({exc.msg}, line {exc.lineno} column {exc.colno})") from exc
    if isinstance(data, dict) and isinstance(data.get("results"), list):
        return data["results"]
    if isinstance(data, list):
        return data
    if isinstance(data, dict) and "idweb" in data:
        return [data]
    raise InspectError(f"{path}: not a BOAMP API response, record list or record")


def inspect_file(path: Path, *, raw: bool = False) -> list[dict[str, Any]]:
    out = []
    for i, record in enumerate(records_of(path)):
        try:
            out.append(parse_record(record).to_dict(raw=raw))
        except RecordError as exc:
            rid = record.get("idweb") if isinstance(record, dict) else None
            out.append({"source": "boamp", "source_id": rid, "error": f"record {i}: {exc}"})
    return out
