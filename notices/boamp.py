"""BOAMP Explore v2.1 records mapped into the normalized notice.

A record has flat fields common to every era (objet, nomacheteur, dateparution, etat, nature, criteres,
code_departement, ...) and two JSON strings: `gestion` (indexing) and `donnees` (the full notice), whose
shape depends on the schema of the day: v110 (2006-2015), v230/v240 (2015-2023), FNSimple and MAPA (3.2.5,
2024+) and eForms (JOUE since late 2023). Flat fields are read first; the `donnees` mapper of the variant
then fills or corrects what the notice itself states (deadline with its real time zone, lots, CPV, SIRET,
award results, structured social signals).

Pitfalls handled here, from the BOAMP reference: `datelimitereponse` carries a wrong offset (re-read from
gestion/donnees, naive = Paris), `etat` (not `nature`) says initial/corrigendum/cancellation, flat
`code_departement` drops leading zeros, single children are dicts and repeated ones lists.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from notices import boamp_forms, boamp_legacy, eforms
from notices import values as v
from notices.checks import SOURCE_LINKS, RecordError
from notices.dates import deadline as parse_deadline
from notices.dates import parse_date
from notices.model import Award, Descriptor, Notice, SocialSignal
from notices.stated import Stated

SOURCE = "boamp"
NOTICE_URL = SOURCE_LINKS[SOURCE]


__all__ = ["RecordError", "parse_record", "variant_of"]


_KIND_BY_NATURE = {
    "APPEL_OFFRE": "contract_notice",
    "ATTRIBUTION": "award",
    "PRE-INFORMATION": "prior_information",
    "PRE_INFORMATION": "prior_information",
    "RECTIFICATIF": "other",
    "ANNULATION": "other",
}
_STATUS_BY_ETAT = {
    "INITIAL": "initial",
    "RECTIFICATIF": "corrigendum",
    "MODIFICATION": "corrigendum",
    "ANNULATION": "cancellation",
}
_STATUS_BY_NATURE = {"ANNULATION": "cancellation", "RECTIFICATIF": "corrigendum"}
_TYPE_BY_MARCHE = {"TRAVAUX": "works", "SERVICES": "services", "FOURNITURES": "supplies"}


def load_json_field(value: Any, name: str) -> Any:
    """`gestion`/`donnees` are JSON strings in the API (dicts in some exports)."""
    if value is None or isinstance(value, (dict, list)):
        return value
    if not isinstance(value, str):
        raise RecordError(f"field {name!r}: expected a JSON string, got {type(value).__name__}")
    if not value.strip():
        return None
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        raise RecordError(f"field {name!r}: invalid JSON ({exc.msg} at char {exc.pos})") from exc


def variant_of(donnees: Any, source_schema: str | None = None) -> str:
    """ "eforms", "fnsimple", "mapa", "v230", "v110" or "unknown", from the top-level keys of `donnees`."""
    if not isinstance(donnees, dict):
        return "unknown"
    if "EFORMS" in donnees:
        return "eforms"
    if "FNSimple" in donnees:
        return "fnsimple"
    if "MAPA" in donnees:
        return "mapa"
    schema = (source_schema or "").lower()
    if "v110" in schema or "IDENT" in donnees or "INFO" in donnees:
        return "v110"
    if "v2" in schema or "IDENTITE" in donnees or "OBJET" in donnees:
        return "v230"
    return "unknown"


# Each fills the notice from `donnees` and returns the title and deadline the form states (set by _settle).
_DONNEES_MAPPERS: dict[str, Callable[[Notice, Any], Stated]] = {
    "eforms": eforms.read,
    "fnsimple": boamp_forms.fill_fnsimple,
    "mapa": boamp_forms.fill_mapa,
    "v230": boamp_legacy.fill_v230,
    "v110": boamp_legacy.fill_v110,
}


def parse_record(record: Any, *, raw: str | None = None) -> Notice:
    """One API record -> Notice. Raises RecordError when the record cannot be trusted."""
    if not isinstance(record, dict):
        raise RecordError(f"record is a {type(record).__name__}, not an object")
    idweb = v.text(record.get("idweb"))
    if not idweb:
        raise RecordError("record has no idweb")
    gestion = load_json_field(record.get("gestion"), "gestion") or {}
    donnees = load_json_field(record.get("donnees"), "donnees")
    notice = Notice(source=SOURCE, source_id=idweb)
    notice.raw = raw if raw is not None else json.dumps(record, ensure_ascii=False, sort_keys=True)
    flat = _fill_flat(notice, record, gestion)
    variant = variant_of(donnees, v.text(record.get("source_schema")))
    mapper = _DONNEES_MAPPERS.get(variant)
    status = notice.status  # `etat` is authoritative for initial/corrigendum/cancellation
    form = Stated()
    if mapper is not None:
        try:
            form = mapper(notice, donnees)
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise RecordError(f"donnees ({variant}): {type(exc).__name__}: {exc}") from exc
    if v.text(record.get("etat")):
        notice.status = status
    nature = (v.text(record.get("nature")) or "").upper()
    if nature in _STATUS_BY_NATURE:  # a cancellation or corrigendum notice is one, whatever `etat` says
        notice.status = _STATUS_BY_NATURE[nature]  # type: ignore[assignment]
    _settle(notice, record, flat, form)
    notice.previous_ids = [p for p in notice.previous_ids if p != notice.source_id]
    return notice


def _settle(notice: Notice, record: dict, flat: Stated, form: Stated) -> None:
    """The one place that sets the fields several parts of a record state, in this order of precedence.

    title: the form's own (`donnees`: FNSimple natureMarche.intitule, MAPA description.objet, v230
        OBJET.TITRE_MARCHE, eForms ProcurementProject name), else the flat `objet`, else gestion's
        RESUME_OBJET, else the first lot that has a title.
    deadline: the form's date when the form states one (eForms: the latest lot deadline; FNSimple, MAPA,
        v230, v110: offers, else applications; v110: a corrigendum's "lire" date before the original one)
        when it can be read (one that cannot leaves a warning and the notice deadline_unknown). Else gestion's
        DATE_LIMITE_REPONSE (its offset stated, naive = Paris time). Last, when neither gave a date, and only
        for a call for tenders or a prior information notice, the flat `datelimitereponse` (its offset is
        wrong, hence last).
    """
    notice.title = form.title or flat.title or next((lot.title for lot in notice.lots if lot.title), None)
    if form.deadline_stated and form.deadline is None:
        notice.warnings.append("the form's deadline is not a real date: unknown unless another field gives one")
        notice.deadline_unknown = True
    deadline = form.deadline if form.deadline is not None else flat.deadline
    if deadline is None and notice.kind in ("contract_notice", "prior_information"):
        deadline = _deadline(notice, _flat_deadline(record), "datelimitereponse")
    notice.deadline = deadline


# Families whose flat `datelimitereponse` is the Paris wall time labelled +00:00. Read from the records: FNS
# 26-7308 and 26-7298 state 12:00 (Paris) in gestion and 12:00+00:00 flat, JOUE 26-85090 states 12:00+02:00 and
# 10:00+00:00 flat (converted right); in the 1,400 notices of February 2024, FNS and MAPA flat deadlines cluster
# at 12:00 "+00:00" (local noon) and JOUE ones at 10:00-11:00 (noon in Paris, converted).
_FLAT_DEADLINE_IS_PARIS_TIME = ("FNS", "MAPA")


# In some harvests of European notices (158 of the 1,400 of February 2024, every one JOUE; none of the 6,998 of
# 2017-2024) the flat `nomacheteur` holds the review body (eForms organisation with the review role), an
# administrative court, instead of the buyer.
_REVIEW_BODY = re.compile(r"^\s*tribunal\s+administratif\b", re.IGNORECASE)


def _flat_buyer(notice: Notice, record: dict) -> str | None:
    """The flat buyer name, unless it is a European notice's review body (then unknown, with a warning)."""
    name = v.text(record.get("nomacheteur"))
    if name and (v.text(record.get("famille")) or "").upper() == "JOUE" and _REVIEW_BODY.match(name):
        notice.warnings.append(f"nomacheteur {name[:60]!r} is the review body of a European notice: buyer unknown")
        return None
    return name


def _flat_deadline(record: dict) -> str | None:
    """The flat deadline as a datetime string whose offset can be trusted (none: Paris time)."""
    value = v.text(record.get("datelimitereponse"))
    if value and (v.text(record.get("famille")) or "").upper() in _FLAT_DEADLINE_IS_PARIS_TIME:
        return value.removesuffix("+00:00").removesuffix("Z")  # naive, read as Paris time by parse_deadline
    return value


def _fill_flat(notice: Notice, record: dict, gestion: dict) -> Stated:
    """Fill `notice` from the flat fields and `gestion`; the title and deadline they state are returned."""
    index = v.get(gestion, "INDEXATION") or {}
    reference = v.get(gestion, "REFERENCE") or {}
    notice.url = v.text(record.get("url_avis")) or NOTICE_URL.format(id=notice.source_id)
    stated = Stated(title=v.text(record.get("objet")) or v.text(index.get("RESUME_OBJET")))
    notice.buyer.name = _flat_buyer(notice, record) or v.text(index.get("NOMORGANISME"))
    published = v.text(record.get("dateparution")) or v.text(index.get("DATE_PUBLICATION"))
    notice.published = parse_date(published)
    if published and notice.published is None:
        raise RecordError(f"dateparution {published!r} is not a real date")
    notice.procedure_id = v.text(record.get("contractfolderid"))

    nature = v.text(record.get("nature")) or v.flag(v.get(reference, "TYPE_AVIS", "NATURE"))
    notice.kind = _KIND_BY_NATURE.get((nature or "").upper(), "other")  # type: ignore[assignment]
    etat = v.text(record.get("etat")) or v.flag(v.get(reference, "TYPE_AVIS", "STATUT")) or nature
    notice.status = _STATUS_BY_ETAT.get((etat or "").upper(), "initial")  # type: ignore[assignment]

    codes = v.as_list(record.get("descripteur_code") or record.get("dc"))
    labels = v.as_list(record.get("descripteur_libelle"))
    descriptors = [Descriptor(str(c), labels[i] if i < len(labels) else None) for i, c in enumerate(codes) if c]
    if not descriptors:
        for d in v.get_all(index, "DESCRIPTEURS", "DESCRIPTEUR"):
            if isinstance(d, dict) and v.text(d.get("CODE")):
                descriptors.append(Descriptor(v.text(d.get("CODE")) or "", v.text(d.get("LIBELLE"))))
    notice.descriptors = descriptors

    notice.departements = v.departements(
        [
            *v.as_list(index.get("DEP_PUBLICATION")),
            *v.as_list(index.get("DEP_PRESTATION")),
            *v.as_list(record.get("code_departement")),
            *v.as_list(record.get("code_departement_prestation")),
        ]
    )
    types = [_TYPE_BY_MARCHE.get(str(t).upper()) for t in v.as_list(record.get("type_marche"))]
    types += [_TYPE_BY_MARCHE.get(str(k).upper()) for k in (index.get("NATURE_MARCHE") or {})]
    notice.contract_type = next((t for t in types if t), None)  # type: ignore[assignment]

    notice.previous_ids = v.unique(
        [
            *(v.text(x) for x in v.as_list(record.get("annonce_lie"))),
            *(v.text(x) for x in v.get_all(reference, "ANNONCE_ANTERIEUR", "IDWEB")),
            *(v.text(x) for x in v.get_all(gestion, "MARCHE", "ANNONCE_ANTERIEUR", "REFERENCE", "IDWEB")),
            *_v110_previous(record.get("annonces_anterieures_schema_v110")),
        ]
    )

    criteres = [str(c).lower() for c in v.as_list(record.get("criteres"))]
    sociaux = v.get(index, "CRITERES_SOCIAUX_ENV")
    if "sociaux" in criteres or (isinstance(sociaux, dict) and "SOCIAUX" in sociaux):
        notice.social.append(SocialSignal("criteres_sociaux", "sociaux", "criteres"))

    # Deadline: gestion states the offset (or Paris local time when naive); the flat field's offset is wrong.
    stated.deadline = _deadline(notice, v.text(index.get("DATE_LIMITE_REPONSE")), "DATE_LIMITE_REPONSE")
    for winner in v.as_list(record.get("titulaire")):
        if v.text(winner):
            notice.awards.append(Award(winner=v.text(winner)))
    return stated


def _deadline(notice: Notice, value: str | None, field: str) -> Any:
    """The deadline a field states; one that cannot be read is set aside with a warning, never read as open."""
    if not value:
        return None
    parsed = parse_deadline(value)
    if parsed is None:
        notice.warnings.append(f"{field} {value[:60]!r} is not a real date: deadline unknown")
        notice.deadline_unknown = True
    return parsed


def _v110_previous(value: Any) -> list[str | None]:
    """`annonces_anterieures_schema_v110` is comma-joined JSON objects (not a JSON list)."""
    t = v.text(value)
    if not t:
        return []
    try:
        items = json.loads(f"[{t}]")
    except json.JSONDecodeError:
        return []
    return [v.text(i.get("IDWEB")) for i in items if isinstance(i, dict)]
