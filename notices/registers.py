"""Register files an operator downloads, read as streams of `notices.companies.Company` (keyed by SIREN).

Kinds (`detect_kind` reads them from the first bytes):

- "sirene": the INSEE StockUniteLegale CSV (about 30 M rows: read row by row, never loaded). ESS from
  `economieSocialeSolidaireUniteLegale` (O / N / empty = unknown); size from `categorieEntreprise` (PME,
  ETI, GE; empty = unknown), a PME with fewer than 10 staff (`trancheEffectifsUniteLegale` NN, 00, 01, 02,
  03) being a TPE; a purged unit (`unitePurgeeUniteLegale`) says nothing.
- "ess": a subset of the same stock with some of its columns (no `categorieEntreprise`: size unknown).
- "siae": the Marché de l'inclusion SIAE JSON (Django fixture: `fields.siret`, `fields.kind`); EITI counts as
  EI and EATT as EA (the same kinds for the observatory).
- "list": a plain CSV of inclusive-employment structures (EA, ESAT...): a `siret` or `siren` column and a
  `kind` column, optionally `name` (`,` or `;`).

Unknown stays unknown: nothing is guessed from a name. A row whose SIREN is not 9 digits is skipped and
counted (`RegisterStats`); a file that is none of these kinds raises RegisterError naming it.
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import IO, Any

from notices.companies import INCLUSIVE_KINDS, Company
from notices.streams import csv_rows, peek
from settings import WatchError

KINDS = ("sirene", "ess", "siae", "list")
SMALL_BANDS = frozenset({"NN", "00", "01", "02", "03"})  # no employee, 1-2, 3-5, 6-9
SIZES = {"PME": "PME", "ETI": "ETI", "GE": "GE"}
KIND_COLUMNS = ("kind", "type", "type_structure", "categorie")  # the kind column of a plain list
NAME_COLUMNS = ("name", "nom", "raison_sociale", "denomination")
# the kinds as lists spell them out, folded (upper case, no accents, one space)
KIND_ALIASES = {
    "EITI": "EI",
    "EATT": "EA",
    "ENTREPRISE D'INSERTION": "EI",
    "ENTREPRISE D'INSERTION PAR LE TRAVAIL INDEPENDANT": "EI",
    "ATELIER CHANTIER D'INSERTION": "ACI",
    "ATELIER ET CHANTIER D'INSERTION": "ACI",
    "ATELIERS ET CHANTIERS D'INSERTION": "ACI",
    "ASSOCIATION INTERMEDIAIRE": "AI",
    "ENTREPRISE DE TRAVAIL TEMPORAIRE D'INSERTION": "ETTI",
    "GROUPEMENT D'EMPLOYEURS POUR L'INSERTION ET LA QUALIFICATION": "GEIQ",
    "ENTREPRISE ADAPTEE": "EA",
    "ENTREPRISE ADAPTEE DE TRAVAIL TEMPORAIRE": "EA",
    "ETABLISSEMENT ET SERVICE D'AIDE PAR LE TRAVAIL": "ESAT",
    "ETABLISSEMENT OU SERVICE D'AIDE PAR LE TRAVAIL": "ESAT",
}
_SIREN = re.compile(r"^\d{9}$")


class RegisterError(WatchError, ValueError):
    """A register file that cannot be read (not one of the known kinds, corrupt)."""

    label = "companies"


@dataclass
class RegisterStats:
    read: int = 0
    skipped: int = 0  # rows without a usable SIREN, or kinds not known
    filtered: int = 0  # rows dropped by the winners filter


def detect_kind(head: bytes) -> str:
    text = head.decode("utf-8-sig", errors="replace").lstrip()
    if text.startswith(("[", "{")):
        return "siae"
    columns = {c.strip().strip('"').lower() for c in re.split(r"[;,\t]", text.splitlines()[0] if text else "")}
    if "categorieentreprise" in columns:
        return "sirene"
    if "economiesocialesolidaireunitelegale" in columns:
        return "ess"
    if ("siret" in columns or "siren" in columns) and columns & set(KIND_COLUMNS):
        return "list"
    raise RegisterError(f"not a known register file (header starts {text[:80]!r})")


def read_register(
    stream: IO[bytes],
    kind: str | None = None,
    *,
    source: str = "",
    only: Collection[str] | None = None,
    only_kinds: Collection[str] = KINDS,
    stats: RegisterStats | None = None,
) -> Iterator[Company]:
    """Companies of a register file (binary stream); `only` keeps these SIRENs (the archive's winners) in
    files of `only_kinds` (the Sirene stock: the inclusive-employment lists are kept whole for the leads)."""
    stats = stats if stats is not None else RegisterStats()
    head, rest = peek(stream)
    kind = kind or detect_kind(head)
    if kind not in KINDS:
        raise RegisterError(f"unknown register kind {kind!r} (expected one of: {', '.join(KINDS)})")
    if kind not in only_kinds:
        only = None
    if kind == "siae":
        rows: Iterator[Company | None] = _siae(rest, source or "siae", stats)
    else:
        reader = csv_rows(rest)
        if kind == "list":
            rows = (_listed(row, source or "list", stats) for row in reader)
        else:
            rows = (_sirene(row, source or kind, stats, only) for row in reader)
    for company in rows:
        if company is None:
            continue
        if company is _FILTERED:
            stats.read += 1
            stats.filtered += 1
            continue
        stats.read += 1
        if only is not None and company.siren not in only:
            stats.filtered += 1
            continue
        yield company


def _value(row: dict[str, Any], key: str) -> str | None:
    value = row.get(key)
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def _siren(value: str | None) -> str | None:
    digits = re.sub(r"\s", "", value or "")
    if len(digits) == 14 and digits.isdigit():
        digits = digits[:9]
    return digits if _SIREN.match(digits) else None


def size_of(category: str | None, band: str | None) -> str | None:
    """PME / ETI / GE as INSEE classifies the unit; TPE for a PME with fewer than 10 staff; else unknown."""
    size = SIZES.get((category or "").upper())
    if size == "PME" and band in SMALL_BANDS:
        return "TPE"
    return size


_FILTERED = Company(siren="")  # a row dropped by the winners filter before it is read further


def _sirene(
    row: dict[str, Any], source: str, stats: RegisterStats, only: Collection[str] | None = None
) -> Company | None:
    siren = _siren(_value(row, "siren"))
    if siren is None:
        stats.skipped += 1
        return None
    if only is not None and siren not in only:  # most of a 30 M-row stock: not mapped at all
        return _FILTERED
    if (_value(row, "unitePurgeeUniteLegale") or "").lower() == "true":  # purged: nothing is known any more
        return Company(siren=siren, sources=[source])
    ess = {"O": True, "N": False}.get((_value(row, "economieSocialeSolidaireUniteLegale") or "").upper())
    band = _value(row, "trancheEffectifsUniteLegale")
    nomenclature = _value(row, "nomenclatureActivitePrincipaleUniteLegale")
    naf = _value(row, "activitePrincipaleUniteLegale") if nomenclature in (None, "NAFRev2") else None
    name = _value(row, "denominationUniteLegale")
    if name is None:  # a natural person: the name as INSEE gives it
        parts = [
            _value(row, "prenomUsuelUniteLegale"),
            _value(row, "nomUsageUniteLegale") or _value(row, "nomUniteLegale"),
        ]
        name = " ".join(p for p in parts if p) or None
    return Company(
        siren=siren,
        name=name,
        ess=ess,
        size=size_of(_value(row, "categorieEntreprise"), band),  # type: ignore[arg-type]
        headcount_band=band,
        naf=naf,
        legal_category=_value(row, "categorieJuridiqueUniteLegale"),
        sources=[source],
    )


def inclusive_kind(value: str | None) -> str | None:
    """ "EA", "ea", "Entreprise adaptée", "EATT" -> "EA"; anything else -> None (not guessed)."""
    kind = unicodedata.normalize("NFKD", (value or "").replace("’", "'"))
    kind = " ".join("".join(c for c in kind if not unicodedata.combining(c)).upper().split())
    kind = KIND_ALIASES.get(kind, kind)
    return kind if kind in INCLUSIVE_KINDS else None


def _listed(row: dict[str, Any], source: str, stats: RegisterStats) -> Company | None:
    lowered = {str(k).strip().lower(): v for k, v in row.items() if k is not None}
    siren = _siren(_value(lowered, "siren") or _value(lowered, "siret"))
    kind = inclusive_kind(next((v for c in KIND_COLUMNS if (v := _value(lowered, c))), None))
    if siren is None or kind is None:
        stats.skipped += 1
        return None
    name = next((v for c in NAME_COLUMNS if (v := _value(lowered, c))), None)
    return Company(siren=siren, name=name, inclusive_kind=kind, sources=[source])  # type: ignore[arg-type]


def _siae(stream: IO[bytes], source: str, stats: RegisterStats) -> Iterator[Company | None]:
    """The SIAE of a Marché de l'inclusion JSON: a Django fixture ([{model, pk, fields}]) or a plain list."""
    try:
        data = json.load(io.TextIOWrapper(stream, encoding="utf-8-sig"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RegisterError(f"not valid JSON ({exc})") from None
    if isinstance(data, dict):
        data = data.get("results") or data.get("data") or []
    if not isinstance(data, list):
        raise RegisterError("expected a JSON list of SIAE")
    for entry in data:
        fields = entry.get("fields", entry) if isinstance(entry, dict) else None
        if not isinstance(fields, dict):
            stats.skipped += 1
            continue
        siren = _siren(str(fields.get("siret") or fields.get("siren") or ""))
        kind = inclusive_kind(fields.get("kind"))
        if siren is None or kind is None:
            stats.skipped += 1
            continue
        name = fields.get("name") or fields.get("brand")
        yield Company(siren=siren, name=str(name).strip() if name else None, inclusive_kind=kind, sources=[source])  # type: ignore[arg-type]
