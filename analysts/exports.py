"""Exports of the archive: CSV and Excel with French headers, and an OCDS 1.1 release package.

The rows are the notices (`notices_flat`), optionally from a publication day on (`since`) and in one theme.

OCDS: one release per notice, its `ocid` the configured prefix (`exports.ocid_prefix`) and the notice's
procedure (so the notices of one tender share it); the buyer and the winners as parties; the tender with its
CPV items, lots (lots extension), deadline and value; the awards with their suppliers. Social flags follow
the eForms profile of OCDS: BT-71 reserved participation -> `tender.otherRequirements.reservedParticipation`
(otherRequirements extension), BT-736 reserved execution -> `tender.contractTerms.reservedExecution`
(contractTerms extension), social criteria and insertion clauses -> `tender.sustainability` (sustainability
extension).
"""

from __future__ import annotations

import csv
import json
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from analysts.buyers import name_key
from classify import cpv

# (column of the export query, French header)
COLUMNS: list[tuple[str, str]] = [
    ("source", "Source"),
    ("source_id", "Identifiant de l'avis"),
    ("published", "Date de publication"),
    ("kind_name", "Type d'avis"),
    ("status_name", "Statut"),
    ("title", "Objet"),
    ("buyer_name", "Acheteur"),
    ("buyer_siret", "SIRET de l'acheteur"),
    ("departement", "Département"),
    ("departement_name", "Nom du département"),
    ("region", "Région"),
    ("themes", "Thèmes (codes)"),
    ("theme_names", "Thèmes"),
    ("reserved_contract", "Marché réservé"),
    ("insertion_clause", "Clause d'insertion"),
    ("social_criterion", "Critère social"),
    ("event_name", "Événement"),
    ("procedure_id", "Procédure"),
    ("procedure_state", "État de la procédure"),
    ("deadline", "Date limite"),
    ("contract_type", "Type de marché"),
    ("value", "Valeur (€)"),
    ("currency", "Devise"),
    ("cpv", "Code CPV"),
    ("url", "Lien"),
]
HEADERS = [h for _, h in COLUMNS]

# submissionTerms: the lots extension refers to its SubmissionTerms (Lot.submissionTerms), so a validator can
# only dereference the extended schema with it declared too
EXTENSIONS = ("lots", "otherRequirements", "contractTerms", "sustainability", "submissionTerms")
EXTENSION_REPO = (
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_{name}_extension/master/extension.json"
)

# eForms BT-71 codes and the classifier's kinds of reservation -> OCDS reservedParticipation
RESERVED_PARTICIPATION = {
    "res-ws": "shelteredWorkshop",
    "res-pub-ser": "publicServiceMissionOrganization",
    "ea_esat": "shelteredWorkshop",
    "siae": "shelteredWorkshop",
    "ess": "publicServiceMissionOrganization",
    "unspecified": "shelteredWorkshop",
}
_CATEGORY = {"works": "works", "services": "services", "supplies": "goods"}


def _where(since: date | str | None, theme: str | None) -> tuple[str, list[Any]]:
    clauses, params = ["1 = 1"], []
    if since:
        clauses.append("f.published >= ?")
        params.append(str(since))
    if theme:
        clauses.append("exists (select 1 from json_each(f.themes) t where t.value = ?)")
        params.append(theme)
    return " and ".join(clauses), params


def export_rows(db: sqlite_utils.Database, *, since: date | str | None = None, theme: str | None = None) -> list[dict]:
    """The notices to export (columns of COLUMNS, themes as a list), oldest first."""
    where, params = _where(since, theme)
    names = ", ".join(f"f.{c}" for c, _ in COLUMNS)
    rows = []
    for row in db.query(
        f"select {names} from notices_flat f where {where} order by f.published, f.source, f.source_id", params
    ):
        row["themes"] = json.loads(row["themes"] or "[]")
        rows.append(row)
    return rows


def _cell(value: Any) -> Any:
    return ", ".join(value) if isinstance(value, list) else value


def write_csv(rows: list[dict], out: Path) -> None:
    """UTF-8 with a BOM (Excel opens it with its accents), `;`-separated as French spreadsheets expect."""
    with out.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f, delimiter=";")
        w.writerow(HEADERS)
        for row in rows:
            w.writerow(["" if row[c] is None else _cell(row[c]) for c, _ in COLUMNS])


def write_xlsx(rows: list[dict], out: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Avis"
    ws.append(HEADERS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([_cell(row[c]) for c, _ in COLUMNS])
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    for letter, width in (("F", 60), ("G", 40), ("M", 30), ("Y", 50)):
        ws.column_dimensions[letter].width = width
    wb.save(out)


# -- OCDS ------------------------------------------------------------------------------------------------
_OCDS_NOTICES = """select n.*, f.procedure_id as p_id, f.procedure_state, c.social as c_social,
    coalesce(c.reserved_contract, 0) as c_reserved, coalesce(c.insertion_clause, 0) as c_insertion,
    coalesce(c.social_criterion, 0) as c_criterion
from notices_flat f join notices n on n.source = f.source and n.source_id = f.source_id
left join classifications c on c.source = n.source and c.source_id = n.source_id
where {where} order by n.published, n.source, n.source_id"""


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")


def _party_id(prefix: str, siret: str | None, name: str | None) -> str:
    digits = re.sub(r"\D", "", siret or "")
    return f"FR-SIRET-{digits}" if len(digits) == 14 else f"{prefix}-{name_key(name) or 'inconnu'}"


def _value(amount: Any, currency: str | None) -> dict[str, Any] | None:
    if amount is None:
        return None
    try:
        return {"amount": float(amount), "currency": currency or "EUR"}
    except (TypeError, ValueError):
        return None


def _tags(kind: str, status: str) -> list[str]:
    if kind == "prior_information":
        return ["planningUpdate"] if status == "corrigendum" else ["planning"]
    if kind == "award":
        return (
            ["awardCancellation"]
            if status == "cancellation"
            else ["awardUpdate" if status == "corrigendum" else "award"]
        )
    if status == "cancellation":
        return ["tenderCancellation"]
    return ["tenderAmendment"] if status == "corrigendum" else ["tender"]


def _tender_status(row: dict) -> str | None:
    if row["status"] == "cancellation" or row["procedure_state"] == "cancelled":
        return "cancelled"
    return {"prior_information": "planned", "contract_notice": "active", "award": "complete"}.get(row["kind"])


def _social(row: dict, tender: dict[str, Any]) -> None:
    signals = json.loads(row["social"] or "[]")
    flags = json.loads(row["c_social"] or "{}")
    reserved: list[str] = []
    for s in signals:
        if s.get("signal") == "reserved_procurement":
            for code in re.split(r"[,\s]+", str(s.get("value") or "")):
                if code in RESERVED_PARTICIPATION:
                    reserved.append(RESERVED_PARTICIPATION[code])
    if row["c_reserved"]:
        kinds = (flags.get("reserved_contract") or {}).get("kinds") or ["unspecified"]
        reserved += [RESERVED_PARTICIPATION[k] for k in kinds if k in RESERVED_PARTICIPATION]
    if reserved:
        tender["otherRequirements"] = {"reservedParticipation": sorted(set(reserved))}
    if any(s.get("signal") == "reserved_execution" and s.get("value") in ("yes", "true") for s in signals):
        tender["contractTerms"] = {"reservedExecution": True}
    sustainability = []
    if row["c_criterion"]:
        sustainability.append({"goal": "social", "strategies": ["awardCriteria"]})
    if row["c_insertion"]:
        sustainability.append(
            {"goal": "social.disadvantagedEmploymentOpportunities", "strategies": ["contractPerformanceConditions"]}
        )
    if sustainability:
        tender["hasSustainability"] = True
        tender["sustainability"] = sustainability


def release(row: dict, prefix: str) -> dict[str, Any]:
    """The OCDS release of one notice (a row of notices joined to its procedure and classification)."""
    procedure = row["p_id"] or f"{row['source']}:{row['source_id']}"
    parties: dict[str, dict[str, Any]] = {}

    def party(pid: str, name: str | None, role: str, siret: str | None = None) -> dict[str, str]:
        p = parties.setdefault(pid, {"id": pid, "name": name or "inconnu", "roles": []})
        if role not in p["roles"]:
            p["roles"].append(role)
        digits = re.sub(r"\D", "", siret or "")
        if len(digits) == 14:
            p["identifier"] = {"scheme": "FR-SIRET", "id": digits, "legalName": name or digits}
        return {"id": pid, "name": p["name"]}

    out: dict[str, Any] = {
        "ocid": f"{prefix}-{_slug(procedure)}",
        "id": _slug(f"{row['source']}-{row['source_id']}"),
        "date": f"{row['published']}T00:00:00Z"
        if row["published"]
        else datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "tag": _tags(row["kind"], row["status"]),
        "initiationType": "tender",
        "language": "fr",
    }
    buyer = None
    if row["buyer_name"] or row["buyer_siret"]:
        buyer = party(
            _party_id("acheteur", row["buyer_siret"], row["buyer_name"]), row["buyer_name"], "buyer", row["buyer_siret"]
        )
        out["buyer"] = buyer
    tender: dict[str, Any] = {"id": _slug(procedure)}
    for key, value in (("title", row["title"]), ("description", row["description"])):
        if value:
            tender[key] = value
    status = _tender_status(row)
    if status:
        tender["status"] = status
    if row["contract_type"] in _CATEGORY:
        tender["mainProcurementCategory"] = _CATEGORY[row["contract_type"]]
    if value := _value(row["value"], row["currency"]):
        tender["value"] = value
    if row["deadline"] and row["kind"] in ("contract_notice", "prior_information"):
        tender["tenderPeriod"] = {"endDate": row["deadline"]}
    items = []
    for i, code in enumerate(json.loads(row["cpv"] or "[]")):
        classification = {"scheme": "CPV", "id": str(code)}
        if label := cpv.label(code):
            classification["description"] = label
        items.append({"id": str(i + 1), "classification": classification})
    if items:
        tender["items"] = items
    lots = []
    for i, lot in enumerate(json.loads(row["lots"] or "[]")):
        entry: dict[str, Any] = {"id": str(lot.get("number") or i + 1)}
        if lot.get("title"):
            entry["title"] = lot["title"]
        if lot.get("description"):
            entry["description"] = lot["description"]
        if lot_value := _value(lot.get("value"), lot.get("currency")):
            entry["value"] = lot_value
        lots.append(entry)
    if lots:
        tender["lots"] = lots
    if url := row["url"]:
        tender["documents"] = [{"id": "avis", "documentType": "tenderNotice", "url": url, "language": "fr"}]
    _social(row, tender)
    if buyer:
        tender["procuringEntity"] = buyer
    out["tender"] = tender
    awards = []
    lot_ids = {lot["id"] for lot in lots}
    for i, a in enumerate(json.loads(row["awards"] or "[]")):
        award: dict[str, Any] = {
            "id": f"{out['id']}-{i + 1}",
            "status": "pending"
            if a.get("intended")
            else ("cancelled" if row["status"] == "cancellation" else "active"),
        }
        if a.get("award_date"):
            award["date"] = f"{a['award_date']}T00:00:00Z"
        if value := _value(a.get("amount"), a.get("currency")):
            award["value"] = value
        if a.get("winner") or a.get("siret"):
            award["suppliers"] = [
                party(
                    _party_id("titulaire", a.get("siret"), a.get("winner")), a.get("winner"), "supplier", a.get("siret")
                )
            ]
        if a.get("lot") is not None and str(a["lot"]) in lot_ids:
            award["relatedLots"] = [str(a["lot"])]
        awards.append(award)
    if awards:
        out["awards"] = awards
    if parties:
        out["parties"] = list(parties.values())
    return out


def release_package(
    db: sqlite_utils.Database,
    *,
    prefix: str,
    since: date | str | None = None,
    theme: str | None = None,
    publisher: str = "Veille des marchés publics de l'ESS",
    uri: str | None = None,
    extension_urls: list[str] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    where, params = _where(since, theme)
    rows = db.query(_OCDS_NOTICES.format(where=where), params)
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "uri": uri or f"urn:{_slug(prefix)}:releases:{stamp}",
        "version": "1.1",
        "publishedDate": stamp,
        "publisher": {"name": publisher},
        "license": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
        "extensions": extension_urls or [EXTENSION_REPO.format(name=n) for n in EXTENSIONS],
        "releases": [release(row, prefix) for row in rows],
    }


def write_ocds(package: dict[str, Any], out: Path) -> None:
    out.write_text(json.dumps(package, ensure_ascii=False, indent=1), encoding="utf-8")


def export(
    db: sqlite_utils.Database,
    fmt: str,
    out: Path,
    *,
    prefix: str,
    since: date | str | None = None,
    theme: str | None = None,
) -> int:
    """Write the export; returns the number of notices (releases) written."""
    if fmt == "ocds":
        package = release_package(db, prefix=prefix, since=since, theme=theme)
        write_ocds(package, out)
        return len(package["releases"])
    rows = export_rows(db, since=since, theme=theme)
    (write_csv if fmt == "csv" else write_xlsx)(rows, out)
    return len(rows)


def default_name(fmt: str, theme: str | None = None) -> str:
    return f"avis{'-' + theme if theme else ''}.{ {'csv': 'csv', 'xlsx': 'xlsx', 'ocds': 'ocds.json'}[fmt] }"
