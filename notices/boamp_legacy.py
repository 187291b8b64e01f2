"""Legacy BOAMP `donnees`: v230/v240 (2015-2023, JSON of the Boamp_v230 XML) and v110 (2006-2015).

v230 is structured (IDENTITE, OBJET, CONDITION_DELAI, CONDITION_PARTICIPATION, ATTRIBUTION ...). v110 is
the printed notice cut into labelled fragments: dates in French words ("1er septembre 2006") with the hour
in a sibling fragment (", à 17 h 15"), lots as parallel lists, corrigenda as rubric / old text / "lire".
"""

from __future__ import annotations

from typing import Any

from notices import values as v
from notices.dates import deadline as parse_deadline
from notices.dates import parse_date
from notices.model import Award, Lot, Notice, SocialSignal
from notices.stated import Stated

_V230_TYPES = {"TRAVAUX": "works", "SERVICES": "services", "FOURNITURES": "supplies"}


def _money(node: Any) -> tuple[float | None, str | None]:
    if isinstance(node, dict):
        currency = node.get("@DEVISE")
        for key in ("#text", "VALEUR", "VALEUR_ESTIMEE", "MONTANT"):
            if key in node:
                amount, _ = _money(node[key])
                return amount, currency
        return None, currency
    return v.amount(node), None


def _v230_cpv(node: Any) -> list[str]:
    codes = []
    for cpv in v.as_list(node):
        if isinstance(cpv, dict):
            codes += [cpv.get("PRINCIPAL"), *v.as_list(cpv.get("SUPPLEMENTAIRE"))]
        else:
            codes.append(cpv)
    return v.cpv_codes(codes)


def fill_v230(notice: Notice, d: dict) -> Stated:
    """Fill `notice` from a v230/v240 notice; the title and deadline it states are returned, not written."""
    stated = Stated()
    identity = d.get("IDENTITE") or {}
    notice.buyer.name = v.text(identity.get("DENOMINATION")) or notice.buyer.name
    notice.buyer.siret = v.siret(identity.get("CODE_IDENT_NATIONAL")) or notice.buyer.siret
    notice.buyer.city = v.text(identity.get("VILLE"))
    notice.buyer.postal_code = v.text(identity.get("CP"))

    obj = d.get("OBJET") or {}
    stated.title = v.text(obj.get("TITRE_MARCHE"))
    notice.description = v.join_text(obj.get("OBJET_COMPLET"), v.get(obj, "CARACTERISTIQUES", "PRINCIPALES"))
    notice.cpv = v.unique([*_v230_cpv(obj.get("CPV")), *notice.cpv])
    kind = v.flag(obj.get("TYPE_MARCHE"))
    notice.contract_type = _V230_TYPES.get((kind or "").upper(), notice.contract_type)  # type: ignore[arg-type]
    place = obj.get("LIEU_EXEC_LIVR") or {}
    notice.place = v.join_text(place.get("ADRESSE"), place.get("VILLE"), sep=", ")
    notice.nuts = v.unique([*notice.nuts, *(v.text(n) for n in v.as_list(place.get("CODE_NUTS")))])
    dept = v.departement_from_postal_code(place.get("CP"))
    if dept:
        notice.departements = v.unique([*notice.departements, dept])
    for key in ("VALEUR", "VALEUR_ESTIMEE", "VALEUR_TOTALE"):
        amount, currency = _money(v.get(obj, "CARACTERISTIQUES", key))
        if amount:
            notice.value, notice.currency = amount, currency or "EUR"
            break

    lots = []
    for lot in v.get_all(obj, "LOTS", "LOT"):
        amount, currency = _money(lot.get("VALEUR") or lot.get("VALEUR_ESTIMEE"))
        lots.append(
            Lot(
                number=v.text(lot.get("NUM")),
                title=v.text(lot.get("INTITULE")),
                description=v.text(lot.get("DESCRIPTION")),
                cpv=_v230_cpv(lot.get("CPV")),
                value=amount,
                currency=currency,
                nuts=v.unique(v.text(n) for n in v.as_list(lot.get("CODE_NUTS"))),
            )
        )
    notice.lots = lots or notice.lots

    delay = d.get("CONDITION_DELAI") or {}
    received = v.text(delay.get("RECEPT_OFFRES")) or v.text(delay.get("RECEPT_CANDIDAT"))
    if received:
        stated.state_deadline(parse_deadline(received))
    notice.reference = v.text(v.get(d, "CONDITION_ADMINISTRATIVE", "REFERENCE_MARCHE")) or notice.reference

    participation = d.get("CONDITION_PARTICIPATION") or {}
    reserved = participation.get("MARCHE_RESERVE_OUI")
    if reserved is not None:
        kinds = [k for k in (reserved if isinstance(reserved, dict) else {}) if not k.startswith("@")]
        notice.social.append(
            SocialSignal("reserved_procurement", ",".join(kinds) or "oui", "CONDITION_PARTICIPATION.MARCHE_RESERVE_OUI")
        )
    conditions = v.text(participation.get("CONDITION_PARTICULIERE_EXECUTION"))
    if conditions:
        notice.social.append(
            SocialSignal("execution_conditions", conditions, "CONDITION_PARTICIPATION.CONDITION_PARTICULIERE_EXECUTION")
        )
    notice.notes = v.join_text(
        conditions,
        v.get(d, "PROCEDURE", "CRITERES_ATTRIBUTION", "CRITERES_LIBRE"),
        v.get(d, "RENSEIGNEMENTS_COMPLEMENTAIRES", "RENS_COMPLEMENT"),
    )

    for section in ("RECTIF", "ANNULATION"):
        for ref in v.get_all(d, section, "ANNONCE_ANTERIEUR"):
            notice.previous_ids = v.unique([*notice.previous_ids, v.text(v.get(ref, "REFERENCE", "IDWEB"))])

    awards = []
    for decision in v.get_all(d, "ATTRIBUTION", "DECISION"):
        info = decision.get("RENSEIGNEMENT") or {}
        amount, currency = _money(info.get("MONTANT"))
        for holder in v.as_list(decision.get("TITULAIRE")):
            awards.append(
                Award(
                    winner=v.text(holder.get("DENOMINATION")),
                    siret=v.siret(holder.get("CODE_IDENT_NATIONAL")),
                    amount=amount,
                    currency=currency or ("EUR" if amount else None),
                    lot=v.text(decision.get("NUM_LOT")),
                    sme=True if "PME_OUI" in holder else False if "PME_NON" in holder else None,
                    award_date=parse_date(v.text(info.get("DATE_ATTRIBUTION"))),
                )
            )
    if awards:
        notice.awards = awards
    return stated


def _first(value: Any) -> str | None:
    for item in v.as_list(value):
        t = v.text(item)
        if t:
            return t
    return None


def fill_v110(notice: Notice, d: dict) -> Stated:
    """Fill `notice` from a v110 notice; the deadline it states (a corrigendum's new date first) is returned."""
    stated = Stated()
    ident = d.get("IDENT") or {}
    name = notice.buyer.name or v.text(ident.get("NOM"))
    notice.buyer.name = name.rstrip(" .,") if name else None
    notice.buyer.city = (v.text(ident.get("VILLE")) or "").rstrip(" ,.") or None
    notice.buyer.postal_code = v.text(ident.get("CP"))

    obj = d.get("OBJET") or {}
    notice.description = v.text(obj.get("OBJET_COMPLET")) or notice.description
    notice.cpv = v.unique([*v.cpv_codes(v.as_list(obj.get("CPV_OBJ"))), *notice.cpv])
    lieu = v.text(obj.get("LIEU_EXECUTION")) or v.text(obj.get("LIEU_LIVRAISON"))
    notice.place = lieu or notice.place

    lots_node = d.get("LOTS") or {}
    numbers = [v.text(n) for n in v.as_list(lots_node.get("NUM_LOT")) if v.text(n)]
    texts = [v.text(t) for t in v.as_list(lots_node.get("DESC_LOT") or lots_node.get("AUTRES")) if v.text(t)]
    cpvs = v.as_list(lots_node.get("NOMENC_LOT"))
    if numbers and len(texts) == len(numbers):
        notice.lots = [
            Lot(
                number=num,
                title=(texts[i] or "").rstrip(" .") or None,
                cpv=v.cpv_codes([cpvs[i]]) if i < len(cpvs) and len(cpvs) == len(numbers) else [],
            )
            for i, num in enumerate(numbers)
        ]

    delay = d.get("DELAI") or {}
    received = v.text(delay.get("RECEPT_OFFRES")) or v.text(delay.get("RECEPT_CANDIDAT"))
    if received:
        stated.state_deadline(parse_deadline(received, _first(delay.get("AUTRES"))))

    # A corrigendum that rewrites the deadline: rubric "date limite ..." -> "lire" gives the new date.
    for rectif in v.as_list(d.get("RECTIF")):
        rubrics = v.as_list(rectif.get("RUB_INIT"))
        new_texts = v.as_list(rectif.get("LIRE"))
        for i, rubric in enumerate(rubrics):
            if "date limite" in (v.text(rubric) or "").lower() and i < len(new_texts):
                new_deadline = parse_deadline(v.text(new_texts[i]))
                if new_deadline:
                    stated.state_deadline(new_deadline)
    conditions = d.get("CONDITIONS") or {}
    notice.notes = v.join_text(
        v.get(conditions, "PARTICIPATION", "AUTRES"),
        v.get(conditions, "CRITERES", "LISTE"),
        v.get(d, "RENSEIGNEMENTS", "AUTRES_INFOS"),
    )
    return stated
