"""APProch purchase programmes (projets-achats.marches-publics.gouv.fr) mapped into the normalized notice.

APProch lists what public buyers plan to buy, before any call is published. Each project becomes a notice of
kind `prior_information` from source "approch", with `expected_publication` set: it is classified like any
notice, alerted in the digests' "À venir" block, and linked to its call once published (archive.upcoming).

Two shapes are read (BUYERS.md §2):
- the open-data dataset `projets-dachats-publics` (data.economie.gouv.fr, Opendatasoft): snake_case fields
  `code`, `libelle`, `siren_de_l_entite_acheteuse` (an integer: left-padded to 9 digits), `code_s_cpv`,
  `montant_estime_du_marche` (a band such as "1M - 5M€"), `date_previsionnelle_de_publication`,
  `date_cible_de_remise_des_offres`, `departement_s_d_execution_du_marche` ("|"-separated, "tous" for all,
  "CDL" for none), `lien_vers_la_consultation`, `statut`, social and environmental considerations;
- the token API's project object (camelCase, `purchasingEntity`, `departments`...).

Choices: the estimated amount is a band, so `value` stays None (a bound shown as "1 000 000 €" would invent a
precision the buyer did not give) and the band is kept verbatim in `value_band`, with `band_range` giving its
bounds for filters. The target date for offers is not a deadline (no call exists yet): it goes into the notes.
The buyer is known by its SIREN only, kept in `buyer.siret` (9 digits). The token API's `CPVPrimary` is an
APProch internal id, not a CPV code: it is never read as one. `publicationTargetDate` is an instant at
midnight Paris ("2023-10-18T22:00:00.000Z" is 19 October): read as its Paris day.
"""

from __future__ import annotations

import ast
import json
import re
from typing import Any

from formatting import date_fr
from notices import values as v
from notices.checks import RecordError
from notices.dates import parse_date
from notices.model import Buyer, Notice, SocialSignal

SOURCE = "approch"
ALL_DEPARTEMENTS = ("tous", "toute la france", "national")
NO_DEPARTEMENT = ("cdl", "")
# The open data has no documented buyer-name column; these are the names it may bear (checked in that order).
BUYER_NAME_FIELDS = ("nom_de_l_entite_acheteuse", "entite_acheteuse", "libelle_de_l_entite_acheteuse", "acheteur")
YES = ("yes", "oui", "true", "1", "concerne", "concerné")
CANCELLED = ("abandon", "annul", "inactive", "deleted", "supprim")
_BAND = re.compile(r"(\d+(?:[.,]\d+)?)\s*([kKmM]?)")
_UNITS = {"": 1.0, "k": 1e3, "m": 1e6}
_CATEGORY = {"travaux": "works", "services": "services", "fournitures": "supplies"}


def band_range(band: str | None) -> tuple[float | None, float | None]:
    """ "1M - 5M€" -> (1e6, 5e6); "100k - 500k€" -> (1e5, 5e5); "> 5M€" -> (5e6, None); unreadable -> (None, None)."""
    if not band:
        return None, None
    numbers = [float(n.replace(",", ".")) * _UNITS[u.lower()] for n, u in _BAND.findall(band)]
    if not numbers:
        return None, None
    if len(numbers) == 1:
        text = band.strip()
        if text.startswith(("<", "moins", "jusqu")):
            return None, numbers[0]
        return numbers[0], None
    return min(numbers), max(numbers)


def load_record(raw: str) -> dict[str, Any]:
    """A record as JSON, or as the Python-dict repr the token API's example was printed in."""
    text = raw.strip()
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        try:
            data = ast.literal_eval(text)
        except (ValueError, SyntaxError) as exc:
            raise RecordError(f"not a JSON object nor a Python dict literal ({exc})") from None
    if not isinstance(data, dict):
        raise RecordError(f"expected an object, got {type(data).__name__}")
    return data


def parse_record(record: dict[str, Any], raw: str | None = None) -> Notice:
    """An APProch project (open-data record or token-API object) as a notice; RecordError when it has no id."""
    if not isinstance(record, dict):
        raise RecordError(f"expected an object, got {type(record).__name__}")
    if "purchasingEntity" in record or "publicationTargetDate" in record:
        notice = _from_api(record)
    else:
        notice = _from_open_data(record)
    notice.raw = raw
    return notice


def _id(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        raise RecordError("no project code")
    text = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value).strip()
    if not text:
        raise RecordError("no project code")
    return text


def siren(value: Any) -> str | None:
    """The buyer's SIREN: an integer in the open data (leading zeros lost), left-padded to 9 digits."""
    if value is None or isinstance(value, bool):
        return None
    text = str(int(value)) if isinstance(value, (int, float)) else re.sub(r"\s", "", str(value))
    if text.endswith(".0"):
        text = text[:-2]
    if not text.isdigit() or len(text) > 9:
        return None
    return text.zfill(9)


def departements(value: Any) -> tuple[list[str], bool]:
    """(départements, whole country) of "75|92|93", ["29"], "tous" or "CDL" (none given)."""
    items = value if isinstance(value, list) else re.split(r"[|,;]", str(value or ""))
    out, everywhere = [], False
    for item in items:
        text = str(item.get("department") if isinstance(item, dict) else item).strip()
        if text.lower() in ALL_DEPARTEMENTS:
            everywhere = True
        elif text.lower() not in NO_DEPARTEMENT:
            d = v.departement(text)
            if d and d not in out:
                out.append(d)
    return out, everywhere


def _yes(value: Any) -> bool:
    return str(value or "").strip().lower() in YES


def _considerations(record: dict[str, Any], where: str) -> tuple[list[SocialSignal], list[str]]:
    """Social considerations as a structured signal; environmental ones as a note."""
    signals, notes = [], []
    for key, value in record.items():
        lowered = key.lower()
        if "social" in lowered and _yes(value):
            signals.append(SocialSignal("social_objective", "considérations sociales", f"{where} {key}"))
        elif ("environ" in lowered) and _yes(value):
            notes.append("Considérations environnementales prévues.")
    return signals, notes


def _status(value: Any) -> str:
    text = str(value or "").lower()
    return "cancellation" if any(word in text for word in CANCELLED) else "initial"


def _from_open_data(r: dict[str, Any]) -> Notice:
    notice = Notice(SOURCE, _id(r.get("code")), kind="prior_information")
    notice.title = v.text(r.get("libelle"))
    notice.description = v.text(r.get("description"))
    name = next((v.text(r.get(k)) for k in BUYER_NAME_FIELDS if v.text(r.get(k))), None)
    notice.buyer = Buyer(name=name, siret=siren(r.get("siren_de_l_entite_acheteuse")))
    notice.cpv = v.cpv_codes(re.split(r"[|,;\s]+", str(r.get("code_s_cpv") or "")))
    notice.value_band = v.text(r.get("montant_estime_du_marche"))
    notice.expected_publication = parse_date(v.text(r.get("date_previsionnelle_de_publication")))
    notice.published = parse_date(v.text(r.get("date_de_publication") or r.get("date_de_mise_a_jour")))
    notice.departements, everywhere = departements(r.get("departement_s_d_execution_du_marche"))
    notice.place = "France entière" if everywhere and not notice.departements else None
    notice.url = v.text(r.get("lien_vers_la_consultation"))
    notice.status = _status(r.get("statut"))  # type: ignore[assignment]
    notice.social, env = _considerations(r, "APProch")
    notes = []
    target = parse_date(v.text(r.get("date_cible_de_remise_des_offres")))
    if target:
        notes.append(f"Date cible de remise des offres : {date_fr(target.isoformat(), with_time=False)}.")
    procedure = v.text(r.get("type_de_procedure"))
    if procedure:
        notes.append(f"Procédure envisagée : {procedure}.")
    notice.notes = " ".join([*notes, *env]) or None
    return notice


def _from_api(r: dict[str, Any]) -> Notice:
    url = v.text(r.get("url"))
    code = r.get("id") or (re.search(r"/project/(\d+)", url).group(1) if url and "/project/" in url else None)
    notice = Notice(SOURCE, _id(code), kind="prior_information")
    notice.title = v.text(r.get("label"))
    notice.description = v.text(r.get("description"))
    entity = r.get("purchasingEntity") or {}
    notice.buyer = Buyer(
        name=v.text(entity.get("label")),
        siret=siren(entity.get("siren")) or v.siret(entity.get("siret")),
        city=v.text(entity.get("city")),
    )
    notice.contract_type = _CATEGORY.get(str(r.get("purchasingCategory") or "").lower())  # type: ignore[assignment]
    amount = v.amount(r.get("marketEstimatedAmount"))
    notice.value = amount or None  # the token API gives a figure, not a band
    notice.currency = "EUR" if notice.value else None
    notice.expected_publication = parse_date(v.text(r.get("publicationTargetDate")))
    notice.published = parse_date(v.text(r.get("createdAt")))
    notice.departements, everywhere = departements(r.get("departments") or [])
    notice.place = "France entière" if everywhere and not notice.departements else None
    notice.url = v.text(r.get("consultationLink")) or url
    notice.status = _status(r.get("status"))  # type: ignore[assignment]
    notice.social, env = _considerations(
        {k: r.get(k) for k in ("socialConsiderationsConcerned", "environmentalConsiderationsConcerned")}, "APProch"
    )
    for kind in r.get("reservedPublicMarkets") or []:
        value = v.text(kind.get("type") if isinstance(kind, dict) else kind)
        if value:
            notice.social.append(SocialSignal("reserved_procurement", value, "APProch reservedPublicMarkets"))
    notes = []
    target = parse_date(v.text(r.get("dlro")))
    if target:
        notes.append(f"Date cible de remise des offres : {date_fr(target.isoformat(), with_time=False)}.")
    notice.notes = " ".join([*notes, *env]) or None
    return notice
