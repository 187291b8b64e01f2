"""`run_watch.py inspect`: the normalized notices of recorded source files, as JSON.

Accepts BOAMP API responses ({"total_count", "results"}), JSON lists of BOAMP records or a single record,
TED Search API responses ({"notices": [...]}) or lists of TED search results, and eForms XML notices, and
JSON Lines of BOAMP records (one per line, string values as a CSV export leaves them: read as the replay serves them);
and DECP files (awarded contracts: JSON `{"marches": ...}` or CSV), as normalized contracts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from notices import approch, boamp, eforms, ted
from notices.eforms_xml import tree_from_xml
from notices.model import Notice
from replay.boamp import load_records
from settings import WatchError


class InspectError(WatchError, ValueError):
    pass


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InspectError(f"{path}: cannot read ({exc})") from exc
    except json.JSONDecodeError as exc:
        raise InspectError(f"{path}: not JSON ({exc.msg}, line {exc.lineno} column {exc.colno})") from exc


def _load_jsonl(path: Path) -> list[Any]:
    try:
        return load_records([path])
    except (OSError, UnicodeDecodeError) as exc:
        raise InspectError(f"{path}: cannot read ({exc})") from exc
    except json.JSONDecodeError as exc:
        raise InspectError(f"{path}: not JSON Lines ({exc.msg}, line {exc.lineno} column {exc.colno})") from exc


def _out(notice: Notice, raw: bool, classifier: Any) -> dict[str, Any]:
    d = notice.to_dict(raw=raw)
    if classifier is not None:
        from classify.engine import ClassifyInput

        result = classifier.classify(ClassifyInput.from_notice(notice))
        d["classification"] = {k: result[k] for k in ("themes", "social", "event")}
    return d


def _eforms_file(path: Path, raw: bool, classifier: Any) -> list[dict[str, Any]]:
    data = path.read_bytes()
    try:
        tree = tree_from_xml(data)
    except ValueError as exc:
        raise InspectError(f"{path}: {exc}") from exc
    notice = eforms.fill(Notice(source="eforms", source_id=path.stem), tree)
    notice.source_id = next(iter(notice.alt_ids), path.stem)  # the eForms notice UUID
    notice.raw = data.decode("utf-8", errors="replace")
    return [_out(notice, raw, classifier)]


def _decp_file(path: Path, raw: bool, classifier: Any) -> list[dict[str, Any]]:
    """Normalized contracts of a DECP file; with a classifier, each with its themes."""
    import dataclasses

    from notices.checks import RecordError
    from notices.decp import Problem, read_contracts

    out: list[dict[str, Any]] = []
    try:
        with path.open("rb") as stream:
            for item in read_contracts(stream, dataset=path.name):
                if isinstance(item, Problem):
                    out.append({"uid": item.record_id, "error": item.reason})
                    continue
                d = json.loads(json.dumps(dataclasses.asdict(item), default=str, ensure_ascii=False))
                if not raw:
                    d.pop("raw")
                if classifier is not None:
                    from classify.contracts import contract_input

                    row = {"uid": item.uid, "object": item.object, "cpv": item.cpv, "buyer_name": item.buyer_name}
                    d["classification"] = {"themes": classifier.classify(contract_input(row))["themes"]}
                out.append(d)
    except (OSError, RecordError) as exc:
        raise InspectError(f"{path}: {exc}") from exc
    return out


def _is_decp(path: Path) -> bool:
    from notices.checks import RecordError
    from notices.decp import detect_format

    try:
        with path.open("rb") as stream:
            head = stream.read(4096)
    except OSError as exc:
        raise InspectError(f"{path}: cannot read ({exc})") from exc
    try:
        kind = detect_format(head)
    except RecordError:
        return False
    return kind != "json" or b'"marches"' in head or path.suffix.lower() == ".csv"


def _is_approch(record: Any) -> bool:
    """An APProch project: the open data's columns, or the token API's object."""
    return isinstance(record, dict) and ("date_previsionnelle_de_publication" in record or "purchasingEntity" in record)


def inspect_file(path: Path, *, raw: bool = False, classifier: Any = None) -> list[dict[str, Any]]:
    """Normalized notices of a file; with a classifier, each with its themes, flags and event."""
    if path.suffix.lower() == ".xml":
        return _eforms_file(path, raw, classifier)
    if path.suffix.lower() in (".csv", ".json") and _is_decp(path):
        return _decp_file(path, raw, classifier)
    if path.suffix.lower() == ".txt":  # APProch's token-API example: a Python-dict repr
        data = approch.load_record(path.read_text(encoding="utf-8"))
    else:
        data = _load_jsonl(path) if path.suffix.lower() == ".jsonl" else _load_json(path)
    records = data.get("results") if isinstance(data, dict) else data
    if _is_approch(data) or (isinstance(records, list) and records and all(_is_approch(x) for x in records)):
        items, parse, id_field = (
            [data] if isinstance(data, dict) and "results" not in data else records,
            approch.parse_record,
            "code",
        )
    elif isinstance(data, dict) and isinstance(data.get("results"), list):
        items, parse, id_field = data["results"], boamp.parse_record, "idweb"
    elif isinstance(data, dict) and isinstance(data.get("notices"), list):
        items, parse, id_field = data["notices"], ted.parse_search_notice, "publication-number"
    elif isinstance(data, dict) and "idweb" in data:
        items, parse, id_field = [data], boamp.parse_record, "idweb"
    elif isinstance(data, list) and all(isinstance(x, dict) for x in data):
        is_boamp = any("idweb" in x for x in data)
        items = data
        parse, id_field = (boamp.parse_record, "idweb") if is_boamp else (ted.parse_search_notice, "publication-number")
    else:
        raise InspectError(f"{path}: not a BOAMP or TED API response, a record list, or an eForms XML notice")
    out = []
    for i, item in enumerate(items):
        try:
            out.append(_out(parse(item), raw, classifier))
        except ValueError as exc:
            rid = item.get(id_field) if isinstance(item, dict) else None
            out.append({"source_id": rid, "error": f"record {i}: {exc}"})
    return out
