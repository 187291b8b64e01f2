"""BOAMP 3.2.5 national forms: FNSimple (90 k€ to EU thresholds) and MAPA (below 90 k€).

Both share one layout: `{FORM: {"organisme": ..., "initial" | "attribution" | "rectificatif" | ...: ...}}`,
with presence-as-value flags ({"non": ""}), a free-text award ("attributionMarche") in FNSimple and a
structured one in MAPA. Paths from the BOAMP reference §3a; unknown siblings are tolerated.
"""

from __future__ import annotations

import re
from typing import Any

from notices import values as v
from notices.dates import deadline as parse_deadline
from notices.dates import parse_date
from notices.model import Award, Lot, Notice, SocialSignal
from notices.stated import Stated

_TYPES = {"travaux": "works", "services": "services", "fournitures": "supplies"}
_BODIES = ("initial", "attribution", "rectificatif", "annulation", "modification")
_LOT_SPLIT = re.compile(r"(?=\bLot\s*(?:n°\s*)?\d+\s*[:\-])", re.IGNORECASE)
_LOT_NUM = re.compile(r"^\s*Lot\s*(?:n°\s*)?(\d+)", re.IGNORECASE)
_WINNER = re.compile(r"-\s*([^()\-][^()]*?)\s*\((\d{14})\)")
_MONTANT = re.compile(r"Montant\s*:?\s*([\d\s.,]+)\s*(euros?|EUR|€)?", re.IGNORECASE)


def _body(root: dict) -> tuple[str | None, dict]:
    for name in _BODIES:
        if isinstance(root.get(name), dict):
            return name, root[name]
    return None, {}


def _buyer(notice: Notice, org: Any) -> None:
    if not isinstance(org, dict):
        return
    notice.buyer.name = v.text(org.get("nomOfficiel")) or v.text(org.get("acheteurPublic")) or notice.buyer.name
    notice.buyer.siret = v.siret(org.get("codeIdentificationNational")) or notice.buyer.siret
    notice.buyer.city = v.text(org.get("ville")) or v.text(v.get(org, "adr", "ville"))
    notice.buyer.postal_code = v.text(org.get("cp")) or v.text(v.get(org, "adr", "cp"))


def _cpv(tree: Any) -> list[str]:
    return v.cpv_codes(c for node in v.find(tree, "codeCPV") for c in v.find(node, "classPrincipale"))


def _place(node: Any) -> tuple[str | None, str | None]:
    """(place text, département) from a free-text place or an address {voie, cp, ville}."""
    if isinstance(node, dict):
        city = v.text(node.get("ville"))
        return city, v.departement_from_postal_code(node.get("cp"))
    return v.text(node), None


def _value(node: Any) -> tuple[float | None, str | None]:
    if not isinstance(node, dict):
        return v.amount(node), None
    amount = v.amount(node.get("valeur"))
    if amount is None and isinstance(node.get("fourchette"), dict):
        amount = v.amount(node["fourchette"].get("valeurHaute")) or v.amount(node["fourchette"].get("valeurBasse"))
    return amount, node.get("@devise")


def _lots(body: dict) -> list[Lot]:
    lots = []
    for i, lot in enumerate(v.get_all(body, "lots", "lot"), start=1):
        if not isinstance(lot, dict):
            continue
        desc = v.text(lot.get("description"))
        num = v.text(lot.get("numLot")) or v.text(lot.get("numero"))
        if not num and desc:
            m = re.match(r"^\s*(\d+)\s*[-–.)]", desc)
            num = m.group(1) if m else None
        value, currency = _value(lot.get("estimationValeur"))
        lots.append(
            Lot(
                number=num or str(i),
                title=v.text(lot.get("intitule")) or desc,
                description=desc if v.text(lot.get("intitule")) else None,
                cpv=_cpv(lot),
                value=value,
                currency=currency,
            )
        )
    return lots


def _common(notice: Notice, root: dict) -> tuple[str | None, dict]:
    _buyer(notice, root.get("organisme"))
    name, body = _body(root)
    for avis in ("avisInitial",):
        notice.previous_ids = v.unique([*notice.previous_ids, v.text(v.get(body, avis, "idWeb"))])
    lots = _lots(body)
    if lots:
        notice.lots = lots
    main = body.get("natureMarche") or body.get("description")
    notice.cpv = v.unique([*_cpv(main), *_cpv(body), *notice.cpv])
    return name, body


def fill_fnsimple(notice: Notice, donnees: dict) -> Stated:
    """Fill `notice` from an FNSimple form; the title and deadline it states are returned, not written."""
    root = donnees["FNSimple"]
    name, body = _common(notice, root)
    stated = Stated()
    notice.reference = v.text(v.get(body, "communication", "identifiantInterne")) or notice.reference
    nature = body.get("natureMarche") or {}
    stated.title = v.text(nature.get("intitule"))
    notice.description = v.text(nature.get("description")) or notice.description
    notice.contract_type = _TYPES.get(v.flag(nature.get("natureMarche")) or "", notice.contract_type)  # type: ignore[arg-type]
    place, dept = _place(nature.get("lieuExecution"))
    notice.place = place or notice.place
    if dept:
        notice.departements = v.unique([*notice.departements, dept])
    value, currency = _value(nature.get("valeurEstimee"))
    if value:
        notice.value, notice.currency = value, currency or "EUR"
    reservation = v.flag(nature.get("reservationMarche"))
    if reservation and reservation.lower() != "non":
        notice.social.append(
            SocialSignal("reserved_procurement", reservation, "FNSimple natureMarche.reservationMarche")
        )
    procedure = body.get("procedure") or {}
    received = v.text(procedure.get("dateReceptionOffres")) or v.text(procedure.get("dateReceptionCandidatures"))
    if received:
        stated.state_deadline(parse_deadline(received))
    notice.notes = v.join_text(
        procedure.get("criteresAttrib"),
        v.get(body, "informComplementaire", "autresInformComplementaire"),
        procedure.get("conditionsExecution"),
    )
    if name == "attribution":
        awards = parse_award_text(v.text(body.get("attributionMarche")))
        if awards:
            notice.awards = awards
    return stated


def parse_award_text(text: str | None) -> list[Award]:
    """FNSimple's free-text award, one award per winner and lot:

    "Lot 1 : ... - GRAGLIA BTP (43293695300012) Notifié le 05/06/2026 Montant : 213400.41 euros  Lot 2 : ..."
    """
    if not text:
        return []
    awards: list[Award] = []
    for part in _LOT_SPLIT.split(text):
        if not part.strip():
            continue
        lot_m = _LOT_NUM.match(part)
        amount_m = _MONTANT.search(part)
        notified = re.search(r"Notifi[ée]e?\s+le\s+(\d{1,2}/\d{1,2}/\d{4})", part)
        for winner in _WINNER.finditer(part):
            awards.append(
                Award(
                    winner=winner.group(1).strip(),
                    siret=winner.group(2),
                    amount=v.amount(amount_m.group(1)) if amount_m else None,
                    currency="EUR" if amount_m else None,
                    lot=lot_m.group(1) if lot_m else None,
                    award_date=parse_date(notified.group(1)) if notified else None,
                )
            )
    return awards


def fill_mapa(notice: Notice, donnees: dict) -> Stated:
    """Fill `notice` from a MAPA form; the title and deadline it states are returned, not written."""
    root = donnees["MAPA"]
    name, body = _common(notice, root)
    stated = Stated()
    notice.reference = v.text(v.get(body, "renseignements", "idMarche")) or notice.reference
    description = body.get("description") or body.get("descriptionReduite") or {}
    stated.title = v.text(description.get("objet"))
    notice.contract_type = _TYPES.get(v.flag(body.get("natureMarche")) or "", notice.contract_type)  # type: ignore[arg-type]
    place, dept = _place(description.get("lieuExecutionLivraison"))
    notice.place = place or notice.place
    if dept:
        notice.departements = v.unique([*notice.departements, dept])
    received = v.text(v.get(body, "delais", "receptionOffres")) or v.text(
        v.get(body, "delais", "receptionCandidatures")
    )
    if received:
        stated.state_deadline(parse_deadline(received))
    criteria = [v.text(c.get("critere")) for c in v.get_all(body, "criteres", "criterePondere") if isinstance(c, dict)]
    criteria += [
        v.text(c.get("critere"))
        for c in v.get_all(body, "criteresAttribution", "criterePondere")
        if isinstance(c, dict)
    ]
    notice.notes = v.join_text(
        *(c for c in criteria if c),
        v.get(body, "renseignements", "rensgComplt"),
        v.get(body, "conditions", "conditionsExecution"),
    )
    estimated, currency = _value(v.get(body, "autresInformations", "valeurTotaleEstimee"))
    if estimated:
        notice.value, notice.currency = estimated, currency or "EUR"
    if name == "attribution":
        awards = []
        award_date = parse_date(v.text(v.get(body, "autresInformations", "dateAttribution")))
        for result in v.get_all(body, "attribution", "resultat", "attribue"):
            holder = result.get("titulaire") or {}
            amount, cur = _value(result.get("montant"))
            awards.append(
                Award(
                    winner=v.text(holder.get("PersonneMorale")) or v.text(v.get(holder, "PersonnePhysique", "nom")),
                    siret=v.siret(holder.get("codeIdentificationNational") or holder.get("siret")),
                    amount=amount,
                    currency=cur or ("EUR" if amount else None),
                    lot=v.text(result.get("numLot")),
                    award_date=award_date,
                )
            )
        if awards:
            notice.awards = awards
    return stated
