"""APProch's open-data dataset `projets-dachats-publics` (data.economie.gouv.fr, Opendatasoft), replayed.

The same Explore v2.1 semantics as BOAMP's (replay.boamp.BoampDataset over replay.odsql: `where`, `order_by`,
`limit` ≤ 100, `offset + limit` ≤ 10,000, the uncapped export), under the dataset's own path.

No export of the open data is stored anywhere public (fixtures/upcoming/SOURCES.md): the records replayed
are built from the dataset's documented fields (BUYERS.md §2) and hold the values of the one real APProch
project on record, the token API's example (`token_api_to_open_data` does that mapping, and says how).
"""

from __future__ import annotations

import ast
import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from replay.boamp import BoampDataset

DATASET_PATH = "/api/explore/v2.1/catalog/datasets/projets-dachats-publics"
PARIS = ZoneInfo("Europe/Paris")


class ApprochDataset(BoampDataset):
    path = DATASET_PATH


def load_projects(paths: list[Path]) -> list[dict[str, Any]]:
    """Open-data records from JSON files (a list of records, or {"results": [...]}); a directory: its .json."""
    records: list[dict[str, Any]] = []
    for p in paths:
        for f in sorted(p.glob("*.json")) if p.is_dir() else [p]:
            data = json.loads(f.read_text(encoding="utf-8"))
            records.extend(data["results"] if isinstance(data, dict) else data)
    return records


def _paris_day(instant: str | None) -> str | None:
    """ "2023-10-18T22:00:00.000Z" (midnight in Paris, as APProch stores days) -> "2023-10-19"."""
    if not instant:
        return None
    return datetime.fromisoformat(instant.replace("Z", "+00:00")).astimezone(PARIS).date().isoformat()


def _band(amount: float | None) -> str | None:
    """The open data's band for an amount ("100k - 500k€" and "1M - 5M€" are documented; the others assumed)."""
    if amount is None:
        return None
    bands = [
        (0, 40e3, "0 - 40k€"),
        (40e3, 100e3, "40k - 100k€"),
        (100e3, 500e3, "100k - 500k€"),
        (500e3, 1e6, "500k - 1M€"),
        (1e6, 5e6, "1M - 5M€"),
    ]
    return next((text for low, high, text in bands if low <= amount < high), "> 5M€")


def token_api_to_open_data(project: dict[str, Any]) -> dict[str, Any]:
    """One token-API project (the real example) in the open data's documented columns.

    Mapped: id (from the project URL) -> code, label -> libelle, purchasingEntity.siren -> the integer
    siren_de_l_entite_acheteuse (leading zeros lost, as the dataset publishes it), purchasingEntity.label ->
    nom_de_l_entite_acheteuse (a buyer-name column the documentation does not list: assumed), the amount ->
    its band, publicationTargetDate and dlro -> their Paris days, departments -> "|"-joined, consultationLink,
    status, and the two considerations as "Oui"/"Non". CPVPrimary is an internal id, not a CPV: code_s_cpv
    stays empty.
    """
    entity = project.get("purchasingEntity") or {}
    url = project.get("url") or ""
    code = url.split("/project/")[1].split("/")[0] if "/project/" in url else str(project.get("id"))
    return {
        "code": code,
        "libelle": project.get("label"),
        "siren_de_l_entite_acheteuse": int(entity["siren"]) if entity.get("siren") else None,
        "nom_de_l_entite_acheteuse": entity.get("label"),
        "code_s_cpv": None,
        "montant_estime_du_marche": _band(project.get("marketEstimatedAmount")),
        "date_previsionnelle_de_publication": _paris_day(project.get("publicationTargetDate")),
        "date_cible_de_remise_des_offres": _paris_day(project.get("dlro")),
        "type_de_procedure": None,
        "departement_s_d_execution_du_marche": "|".join(d["department"] for d in project.get("departments") or [])
        or "CDL",
        "lien_vers_la_consultation": project.get("consultationLink"),
        "considerations_sociales": "Oui" if project.get("socialConsiderationsConcerned") == "yes" else "Non",
        "considerations_environnementales": "Oui"
        if project.get("environmentalConsiderationsConcerned") == "yes"
        else "Non",
        "statut": project.get("status"),
    }


def token_api_example(path: Path) -> dict[str, Any]:
    """The token API's example, printed as a Python dict (single quotes, None/True): read with literal_eval."""
    return ast.literal_eval(path.read_text(encoding="utf-8"))
