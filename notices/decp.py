"""Every DECP format mapped onto `notices.contracts.Contract`, read as a stream.

Formats (`detect_format` tells them apart from the first bytes of a file):

- "json": the 2.0.x JSON of contracts notified since 2024 (`{"marches": {"marche": [...]}}`, holders as
  `titulaires[].titulaire{id, typeIdentifiant}`, lists wrapped in objects such as
  `considerationsSociales.considerationSociale[]`), and the older shapes found in the same files: the 2019
  root `{"marches": [...]}` with `"acheteur.id"` and flat holders `{typeIdentifiant, denominationSociale, id}`,
  modification holders nested in extra lists. One mapper (`contract_from_json`) reads all of them.
- "flat": the ministry's flattened "decp augmenté" CSV (`;`, BOM, `titulaire_id_1..3`, Python-list strings
  such as `['Clause sociale']`, fillers `CDL` = empty and `MQ` = missing).
- "tabular": the consolidated file of decp-processing (one row per contract x holder x modification,
  `uid`, `titulaire_id`, `titulaire_nom`, `modification_id`, `donneesActuelles`, list fields joined with
  ", "). Rows of a contract are grouped on `uid`: co-holders become one Contract with several Winners and
  the amount is read once, from the current rows (`donneesActuelles`).

Shared rules: the amount is the last modification's when one sets it (the notified one stays in
`initial_amount`); the CPV is 8 digits; the département comes from the place of performance when it names
one (never from a region or a country); "Pas de considération sociale" is a stated none, an absent field is
unknown. An impossible value (negative or absurd amount, a date out of range, a malformed SIRET) leaves a
warning and is set aside; a record without identity raises RecordError (quarantine).
"""

from __future__ import annotations

import ast
import codecs
import html
import json
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import IO, Any

from formatting import clean_text
from notices.checks import RecordError, date_bounds
from notices.contracts import NO_SOCIAL_CONSIDERATION, SOCIAL_CONSIDERATIONS, Contract, Modification, Winner
from notices.dates import parse_date
from notices.streams import CsvRecord, csv_records, peek
from notices.values import cpv_codes, departement, departement_from_postal_code, siret

SOURCE = "decp"
# Euros HT. Above this a DECP amount is a typo or a placeholder (1e17 is seen); the largest French public
# contracts are a few billion euros.
MAX_AMOUNT = 1e10
MAX_MONTHS = 1200  # a hundred years
MISSING = frozenset({"", "CDL", "MQ", "NC", "NULL", "None", "nan", "NaN", "null"})
NOT_STATED = frozenset({"Sans objet"})
LIMITS = {"object": 1_000, "buyer_name": 500, "name": 500, "id": 200}
CHUNK = 1 << 20
_RAW = json.JSONEncoder(ensure_ascii=False, default=str).encode  # the source record, verbatim: one encoder
_SPACE_OR_DOT = re.compile(r"[\s.]")
_COMMUNE = re.compile(r"\d{5}|2[AB]\d{3}")
_CORSICA, _OVERSEAS, _TWO_DIGITS = re.compile(r"^2[AB]"), re.compile(r"^9[78]\d"), re.compile(r"^\d{2}")


@dataclass
class Problem:
    """A record that could not be read: it goes to quarantine with `reason`, the stream goes on."""

    reason: str
    raw: str
    record_id: str | None = None
    whole_file: bool = False  # the file itself is cut or unreadable from here on (not one record)


# -- format detection --------------------------------------------------------------------------------
def detect_format(head: bytes) -> str:
    """ "json", "flat" or "tabular" from the first bytes of a file; RecordError when none fits."""
    text = head.decode("utf-8-sig", errors="replace").lstrip()
    if text.startswith(("{", "[")):
        return "json"
    first = text.splitlines()[0] if text else ""
    columns = {c.strip().strip('"') for c in re.split(r"[;,\t]", first)}
    if "titulaire_id_1" in columns:
        return "flat"
    if "uid" in columns or "titulaire_id" in columns:
        return "tabular"
    raise RecordError(f"neither DECP JSON nor a known DECP CSV header (starts {first[:80]!r})")


def read_contracts(stream: IO[bytes], *, dataset: str | None = None) -> Iterator[Contract | Problem]:
    """Every contract of a DECP file (binary stream), whatever its format; unreadable records as Problems."""
    head, stream = peek(stream)
    kind = detect_format(head)
    if kind == "json":
        for item in iter_json_records(stream):
            if isinstance(item, Problem):
                yield item
            elif not is_concession(item[0]):
                yield _guarded(lambda r=item[0]: contract_from_json(r, dataset=dataset), item[0], item[1])
        return
    records = csv_records(stream)
    if kind == "flat":
        for rec in records:
            yield _guarded(lambda r=rec.row: contract_from_flat_row(r, dataset=dataset), rec.row, rec.text, rec.header)
    else:
        yield from contracts_from_tabular(records, dataset=dataset)


def is_concession(record: dict[str, Any]) -> bool:
    """A concession contract (the 2019 files mix them into `marches`): not a public contract, not read."""
    kind = str(record.get("_type") or record.get("nature") or "").lower()
    if "concession" in kind:
        return True
    if "march" in kind or record.get("acheteur") or record.get("acheteur.id"):
        return False  # a contract, whatever empty concession fields it carries
    return bool(record.get("concessionnaires") or record.get("autoriteConcedante"))


def _guarded(build: Any, record: Any, text: str, header: str | None = None) -> Contract | Problem:
    """The contract `build` maps from `record`, keeping `text` (its source text) as its raw record; or the
    Problem, whose raw is the record as JSON (a quarantined CSV row keeps its column names)."""
    try:
        contract = build()
    except RecordError as exc:
        return Problem(str(exc), _RAW(record), _record_id(record))
    except Exception as exc:  # a mapper bug must not stop the file; the record waits in quarantine
        return Problem(f"mapper bug: {type(exc).__name__}: {exc}", _RAW(record), _record_id(record))
    contract.raw, contract.raw_header = text, header
    return contract


def _record_id(record: Any) -> str | None:
    if isinstance(record, dict):
        value = record.get("uid") or record.get("id")
        return str(value)[:200] if value not in (None, "") else None
    return None


# -- JSON, streamed ----------------------------------------------------------------------------------
_ARRAY = re.compile(r'^\s*\[|"marches?"\s*:\s*(?:\{\s*"marche"\s*:\s*)?\[')  # a root list, or the contracts' list
_DECODER = json.JSONDecoder()


def iter_json_records(stream: IO[bytes]) -> Iterator[tuple[dict[str, Any], str] | Problem]:
    """The objects of the `marche` (2.0.x, 2022) or `marches` (2019) array, or of a root list of contracts,
    decoded one at a time, each with its source text (kept as the contract's raw record, verbatim).

    The file is never loaded whole: the array is found in the first bytes, then each object is decoded from a
    window refilled as needed. A record that is not an object is a Problem; a file cut in the middle of a
    record ends with a Problem naming where (the records before it are kept). Other arrays (concessions) are
    not contracts and are not read.
    """
    reader = codecs.getincrementaldecoder("utf-8-sig")(errors="replace")
    buffer = ""
    eof = False

    def fill() -> bool:
        nonlocal buffer, eof
        if eof:
            return False
        data = stream.read(CHUNK)
        if not data:
            eof = True
            buffer += reader.decode(b"", final=True)
            return False
        buffer += reader.decode(data)
        return True

    match = None
    while match is None:
        match = _ARRAY.search(buffer)
        if match is None and not fill():
            break
        if match is None and len(buffer) > 64 * CHUNK:
            break
    if match is None:
        yield Problem("no 'marches' list in this JSON file", buffer[:2000], whole_file=True)
        return
    pos = match.end()
    index = 0
    while True:
        while True:
            while pos < len(buffer) and buffer[pos] in " \t\r\n,":
                pos += 1
            if pos < len(buffer):
                break
            buffer, pos = "", 0
            if not fill():
                break
        if pos >= len(buffer):
            yield Problem(f"file ends inside the list, after record {index} (truncated)", "", whole_file=True)
            return
        if buffer[pos] == "]":
            return
        try:
            value, end = _DECODER.raw_decode(buffer, pos)
        except json.JSONDecodeError as exc:
            buffer, pos = buffer[pos:], 0
            if fill():
                continue
            reason = f"record {index + 1} is not valid JSON ({exc.msg}): file truncated or corrupt"
            yield Problem(reason, buffer[:2000], whole_file=True)
            return
        index += 1
        if isinstance(value, dict):
            yield value, buffer[pos:end]
        else:
            yield Problem(f"record {index} is a JSON {type(value).__name__}, not an object", json.dumps(value)[:2000])
        pos = end


# -- value helpers shared by every mapper ------------------------------------------------------------
def _present(value: Any) -> Any:
    """None for the fillers and empty values of every format; strings stripped."""
    if type(value) is str:  # most values, first (a national file calls this tens of times per row)
        value = value.strip()
        return None if value in MISSING else value
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, str):
        value = value.strip()
        return None if value in MISSING else value
    return value


def _text(value: Any, limit: int) -> str | None:
    if type(value) is str:  # as _present, inline: most fields of every row
        value = value.strip()
        return None if value in MISSING else _clean(value, limit)
    value = _present(value)
    if value is None:
        return None
    return _clean(str(value), limit)


@lru_cache(maxsize=65536)
def _clean(value: str, limit: int) -> str | None:
    """One-line text; cached, as most fields repeat a few values (nature, procedure, grouping...)."""
    if "&" in value:  # "D&#8217;INFRASTRUCTURES": entities some producers leave in
        value = html.unescape(value)
    return clean_text(value, limit, one_line=True)[0]


def _amount(value: Any, what: str, warnings: list[str]) -> float | None:
    value = _present(value)
    if value is None:
        return None
    if isinstance(value, bool):
        warnings.append(f"{what} {value!r} is not a number: set aside")
        return None
    if isinstance(value, str):
        try:
            value = float(value.replace("\u00a0", "").replace(" ", "").replace(",", "."))
        except ValueError:
            warnings.append(f"{what} {value[:40]!r} is not a number: set aside")
            return None
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        warnings.append(f"{what} {value!r} is not a number: set aside")
        return None
    if value < 0 or value > MAX_AMOUNT:
        warnings.append(f"{what} {value:g} is outside 0 to {MAX_AMOUNT:g} euros: set aside")
        return None
    return float(value)


def _months(value: Any, what: str, warnings: list[str]) -> int | None:
    value = _present(value)
    if value is None:
        return None
    try:
        months = float(value)
    except (TypeError, ValueError):
        warnings.append(f"{what} {str(value)[:40]!r} is not a number of months: set aside")
        return None
    if not math.isfinite(months) or months < 0 or months > MAX_MONTHS or months != int(months):
        warnings.append(f"{what} {value!r} is not a plausible number of months: set aside")
        return None
    return int(months)


def _date(value: Any, what: str, warnings: list[str], today: date | None = None) -> date | None:
    value = _present(value)
    if value is None:
        return None
    day, problem = _checked_date(value if isinstance(value, str) else repr(value), today or date.today())
    if problem:
        warnings.append(f"{what} {problem}: set aside")
    return day


@lru_cache(maxsize=8192)
def _checked_date(value: str, today: date) -> tuple[date | None, str | None]:
    """(the date, or why it is set aside); cached: a file holds few distinct dates."""
    day = parse_date(value) if not value.startswith("'") else None
    if day is None:
        return None, f"{value[:40]!r} is not a date"
    earliest, latest = date_bounds(today)
    if not earliest <= day <= latest:
        return None, f"{day.isoformat()} is outside {earliest} to {latest}"
    return day, None


_BOOLS = {
    **dict.fromkeys(("true", "oui", "1", "o", "yes"), True),
    **dict.fromkeys(("false", "non", "0", "n", "no"), False),
}


def _bool(value: Any) -> bool | None:
    if type(value) is str:  # most values: "False", "true", "Oui"...
        return _BOOLS.get(value.strip().lower())
    value = _present(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return bool(value)
    if isinstance(value, str):
        return _BOOLS.get(value.lower())
    return None


def string_list(value: Any, inner: str | None = None) -> list[str] | None:
    """A DECP list field in any of its shapes -> its strings, or None when nothing is stated.

    {"considerationSociale": [...]} (2.0.x), a JSON list, a Python-list string "['Clause sociale']" (flat
    CSV), values joined with ", " (tabular file), a single string. Fillers and "Sans objet" alone: None.
    """
    if isinstance(value, dict):
        value = value.get(inner) if inner else next(iter(value.values()), None)
    if isinstance(value, str):  # a file repeats few distinct strings: each is read once
        found = _string_list(value)
        return list(found) if found is not None else None
    return _values(value)


@lru_cache(maxsize=4096)
def _string_list(value: str) -> tuple[str, ...] | None:
    found = _values(value)
    return tuple(found) if found is not None else None


def _values(value: Any) -> list[str] | None:
    value = _present(value)
    if value is None:
        return None
    if isinstance(value, str):
        if value.startswith("[") and value.endswith("]"):
            try:
                parsed = ast.literal_eval(value)
            except (ValueError, SyntaxError):
                parsed = [v.strip(" '\"") for v in value[1:-1].split(",")]
            value = parsed if isinstance(parsed, list) else [value]
        else:
            value = value.split(", ") if ", " in value else [value]
    if not isinstance(value, list):
        value = [value]
    out = []
    for v in value:
        v = _present(v)
        if isinstance(v, str) and v not in out:
            out.append(v)
    stated = [v for v in out if v not in NOT_STATED]
    return stated or None


def social_considerations(value: Any, warnings: list[str]) -> tuple[list[str], bool]:
    """(canonical codes, stated) of a `considerationsSociales` value in any format."""
    values = string_list(value, "considerationSociale")
    if values is None:
        return [], False
    codes: list[str] = []
    for v in values:
        key = _fold_label(v)
        code = _SOCIAL_FOLDED.get(key)
        if code is not None:
            if code not in codes:
                codes.append(code)
        elif key != _fold_label(NO_SOCIAL_CONSIDERATION):
            warnings.append(f"social consideration {v[:60]!r} is not a known value: ignored")
    return codes, True


@lru_cache(maxsize=4096)
def _fold_label(value: str) -> str:
    """Lower case, é/è folded, spaces collapsed; cached: labels repeat a handful of values."""
    return " ".join(value.lower().replace("é", "e").replace("è", "e").split())


_SOCIAL_FOLDED = {_fold_label(k): v for k, v in SOCIAL_CONSIDERATIONS.items()}


def environmental(value: Any) -> list[str]:
    values = string_list(value, "considerationEnvironnementale") or []
    return [v for v in values if not v.lower().startswith("pas de consid")]


def place_departement(code: Any, type_code: Any, warnings: list[str]) -> str | None:
    """The département a place of performance names: postal code, commune, arrondissement, canton or
    département codes; a region or a country names none. A 5-character code labelled "Code département" (a
    commune or postal code under the wrong label, seen in real files) gives its département with a warning."""
    code = _present(code)
    if code is None:
        return None
    found, warning = _place(str(code).replace(" ", "").upper(), str(_present(type_code) or ""))
    if warning:
        warnings.append(warning)
    return found


@lru_cache(maxsize=16384)
def _place(code: str, type_code: str) -> tuple[str | None, str | None]:
    """(the département, a warning or None) of a place; cached: a national file names a few thousand places."""
    kind = _fold_label(type_code)
    if "region" in kind or "pays" in kind:
        return None, None
    warning = None
    if "postal" in kind:
        found = departement_from_postal_code(code)
    elif "departement" in kind:
        found = departement(code)
        if found is None and _COMMUNE.fullmatch(code):
            found = _from_insee(code)
            if found:
                warning = f"place {code} labelled 'Code département' is a commune or postal code"
    elif any(k in kind for k in ("commune", "arrondissement", "canton")):
        found = _from_insee(code)
    else:
        found = None
    if found is None and kind:
        warning = f"place {code[:20]!r} ({type_code}) names no département"
    return found, warning


def _from_insee(code: str) -> str | None:
    """INSEE geographic codes start with the département: "69123", "2A004", "97411", "751" (arrondissement)."""
    if _CORSICA.match(code):
        return code[:2]
    if _OVERSEAS.match(code):
        return code[:3]
    if _TWO_DIGITS.match(code) and code[:2] != "00":
        return departement(code[:2])
    return None


def winner(raw: Any, warnings: list[str], *, name: Any = None) -> Winner | None:
    """A holder from {"titulaire": {...}}, a flat {id, typeIdentifiant, denominationSociale} or (id, type)."""
    if isinstance(raw, dict) and "titulaire" in raw:
        raw = raw["titulaire"]
    if not isinstance(raw, dict):
        warnings.append(f"holder {str(raw)[:40]!r} is not a holder record: ignored")
        return None
    ident = _present(raw.get("id"))
    if ident is None:
        warnings.append("a holder has no id: ignored")
        return None
    ident = "".join(str(ident).split())[:50]
    id_type = _present(raw.get("typeIdentifiant"))
    id_type = str(id_type).upper() if id_type else None
    if id_type in (None, "SIRET") and ident.isdigit() and len(ident) != 14:
        warnings.append(f"holder SIRET {ident!r} is not 14 digits")
    return Winner(id=ident, id_type=id_type, name=_text(name or raw.get("denominationSociale"), LIMITS["name"]))


def winners(raw: Any, warnings: list[str]) -> list[Winner]:
    """Holders from a list that may nest lists (older files wrap modification holders in up to four)."""
    out: list[Winner] = []
    seen: set[str] = set()
    flat = type(raw) is list and all(type(item) is dict for item in raw)  # most records: no nested lists
    for item in raw if flat else _flatten(raw):
        w = winner(item, warnings)
        if w and w.id not in seen:
            seen.add(w.id)
            out.append(w)
    return out


def _flatten(value: Any) -> Iterator[Any]:
    if isinstance(value, list):
        for v in value:
            yield from _flatten(v)
    elif value is not None:
        yield value


def _uid(buyer_id: str | None, contract_id: str | None, uid: Any = None) -> str:
    uid = _present(uid)
    if uid:
        return str(uid)
    if not contract_id:
        raise RecordError("no contract id")
    if not buyer_id:
        raise RecordError(f"contract {contract_id}: no buyer id, so no national uid")
    return f"{buyer_id}{contract_id}"


def _plain_id(value: Any, what: str) -> str | None:
    value = _present(value)
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        raise RecordError(f"{what} {json.dumps(value)[:60]} is not a single id")
    text = " ".join(str(value).split())
    if len(text) > LIMITS["id"]:
        raise RecordError(f"{what} is {len(text)} characters long: not an id")
    return text


def _buyer_siret(buyer_id: str | None, warnings: list[str]) -> str | None:
    if buyer_id is None:
        return None
    found = _siret(buyer_id)
    if found is None:
        warnings.append(f"buyer SIRET {buyer_id[:20]!r} is not 14 digits: set aside")
    return found


def _finish(contract: Contract) -> Contract:
    """What every mapper does last: the current amount from the modifications, dates that make sense."""
    setting = [m for m in contract.modifications if m.amount is not None]
    if setting:
        contract.amount = _last(setting).amount
    changing = [m for m in contract.modifications if m.winners]
    if changing:
        contract.winners = list(_last(changing).winners)
    if contract.published and contract.notified and contract.published < contract.notified:
        contract.warnings.append(
            f"data published {contract.published} before notification {contract.notified}: publication date set aside"
        )
        contract.published = None
    return contract


def _last(modifications: list[Modification]) -> Modification:
    """The latest modification: by notification date, then by position in the record."""
    ranked = sorted(enumerate(modifications), key=lambda im: (im[1].notified or date.min, im[0]))
    return ranked[-1][1]


@lru_cache(maxsize=65536)
def _siret(value: str) -> str | None:
    """notices.values.siret, cached: a national file names tens of thousands of buyers, each many times."""
    return siret(value)


@lru_cache(maxsize=16384)
def _cpv(value: str) -> str | None:
    """The contract's CPV code (the first one named); cached: a national file uses a few thousand codes."""
    return next(iter(cpv_codes([value])), None)


# -- JSON records (2.0.x, 2022, 2019) ----------------------------------------------------------------
def contract_from_json(record: dict[str, Any], *, dataset: str | None = None) -> Contract:
    warnings: list[str] = []
    today = date.today()  # the bounds of a plausible date, once per record
    buyer = record.get("acheteur")
    buyer_id = _plain_id(buyer.get("id") if isinstance(buyer, dict) else record.get("acheteur.id"), "buyer id")
    if buyer_id and not buyer_id.isdigit() and _SPACE_OR_DOT.sub("", buyer_id).isdigit():
        buyer_id = _SPACE_OR_DOT.sub("", buyer_id)  # "214 400 209 00018": the SIRET, as uid wants it
    contract_id = _plain_id(record.get("id"), "contract id")
    place = record.get("lieuExecution") if isinstance(record.get("lieuExecution"), dict) else {}
    social, stated = social_considerations(record.get("considerationsSociales"), warnings)
    amount = _amount(record.get("montant"), "amount", warnings)
    contract = Contract(
        uid=_uid(buyer_id, contract_id, record.get("uid")),
        id=contract_id or "",
        source=SOURCE,
        dataset=_text(record.get("source"), 200) or dataset,
        nature=_text(record.get("nature") or record.get("_type"), 100),
        buyer_siret=_buyer_siret(buyer_id, warnings),
        buyer_name=_text(buyer.get("nom") if isinstance(buyer, dict) else None, LIMITS["buyer_name"]),
        object=_text(record.get("objet"), LIMITS["object"]),
        cpv=_cpv(str(_present(record.get("codeCPV")) or "")),
        procedure=_text(record.get("procedure"), 200),
        notified=_date(record.get("dateNotification"), "notification date", warnings, today),
        published=_date(record.get("datePublicationDonnees"), "publication date", warnings, today),
        duration_months=_months(record.get("dureeMois"), "duration", warnings),
        amount=amount,
        initial_amount=amount,
        place_code=_text(place.get("code"), 20),
        place_type=_text(place.get("typeCode"), 50),
        social=social,  # type: ignore[arg-type]
        social_stated=stated,
        environmental=environmental(record.get("considerationsEnvironnementales")),
        subcontracting_declared=_bool(record.get("sousTraitanceDeclaree")),
        grouping=_text(record.get("typeGroupementOperateurs"), 100),
        framework_id=_text(record.get("idAccordCadre"), LIMITS["id"]),
        winners=winners(record.get("titulaires"), warnings),
        warnings=warnings,
    )
    contract.departement = place_departement(place.get("code"), place.get("typeCode"), warnings)
    for i, item in enumerate(record.get("modifications") or []):
        mod = item.get("modification", item) if isinstance(item, dict) else None
        if not isinstance(mod, dict):
            warnings.append(f"modification {i + 1} is not an object: ignored")
            continue
        where = f"modification {_present(mod.get('id')) or i + 1}"
        contract.modifications.append(
            Modification(
                id=str(_present(mod.get("id")) or i + 1),
                notified=_date(
                    mod.get("dateNotificationModification") or mod.get("dateNotification"),
                    f"{where} date",
                    warnings,
                    today,
                ),
                published=_date(
                    mod.get("datePublicationDonneesModification") or mod.get("datePublicationDonnees"),
                    f"{where} publication date",
                    warnings,
                    today,
                ),
                amount=_amount(mod.get("montant"), f"{where} amount", warnings),
                duration_months=_months(mod.get("dureeMois"), f"{where} duration", warnings),
                winners=winners(mod.get("titulaires"), warnings),
            )
        )
    return _finish(contract)


# -- the flattened "decp augmenté" CSV ---------------------------------------------------------------
_FLAT_FIELDS = (
    "nature",
    "objet",
    "codeCPV",
    "procedure",
    "dureeMois",
    "dateNotification",
    "datePublicationDonnees",
    "montant",
    "sousTraitanceDeclaree",
    "typeGroupementOperateurs",
    "idAccordCadre",
    "source",
    "considerationsSociales",
    "considerationsEnvironnementales",
    "uid",
)  # the flat columns read under their JSON name
_HOLDER_KEYS = tuple(
    (f"titulaire_id_{n}", f"titulaire_typeIdentifiant_{n}", f"titulaire_denominationSociale_{n}") for n in range(1, 100)
)


def contract_from_flat_row(row: dict[str, Any], *, dataset: str | None = None) -> Contract:
    """One row = one contract; holders in titulaire_id_1..3; a modification in the *Modification columns."""
    record: dict[str, Any] = {k: row.get(k) for k in _FLAT_FIELDS}
    record["id"] = row.get("id")
    record["acheteur.id"] = row.get("acheteur.id") or row.get("acheteur_id")
    record["lieuExecution"] = {
        "code": row.get("lieuExecution.code") or row.get("lieuExecution_code"),
        "typeCode": row.get("lieuExecution.typeCode") or row.get("lieuExecution_typeCode"),
    }
    holders = []
    for ident, kind, name in _HOLDER_KEYS:
        if ident not in row:
            break
        if _present(row[ident]):
            holders.append({"id": row[ident], "typeIdentifiant": row.get(kind), "denominationSociale": row.get(name)})
    record["titulaires"] = holders
    if _present(row.get("idModification")):
        holder = _present(row.get("idTitulaireModification"))
        record["modifications"] = [
            {
                "id": row.get("idModification"),
                "montant": row.get("montantModification"),
                "dureeMois": row.get("dureeMoisModification"),
                "dateNotificationModification": row.get("dateNotificationModificationModification"),
                "datePublicationDonneesModification": row.get("datePublicationDonneesModificationModification"),
                "titulaires": [{"id": holder, "typeIdentifiant": row.get("typeIdentifiantTitulaireModification")}]
                if holder
                else [],
            }
        ]
    return contract_from_json(record, dataset=dataset)


# -- the consolidated tabular file (decp-processing) -------------------------------------------------
PENDING_ROWS = 5_000  # rows after which a contract not seen again is complete


def contracts_from_tabular(records: Iterable[CsvRecord], *, dataset: str | None = None) -> Iterator[Contract | Problem]:
    """Rows grouped by `uid` into contracts, streamed.

    The file writes the rows of one contract together; a contract is complete when its uid has not been seen
    for PENDING_ROWS rows (or at the end). A uid seen again after that is read as a separate reading with a
    warning (the store then keeps the last one).
    """
    pending: dict[str, list[CsvRecord]] = {}
    last_seen: dict[str, int] = {}
    done: set[str] = set()
    for n, rec in enumerate(records):
        row = rec.row
        uid = _present(row.get("uid"))
        if uid is None:
            if _present(row.get("id")) and _present(row.get("acheteur_id")):
                uid = f"{_present(row.get('acheteur_id'))}{_present(row.get('id'))}"
            else:
                yield Problem("row without uid, nor buyer id and contract id", json.dumps(row, ensure_ascii=False))
                continue
        pending.setdefault(uid, []).append(rec)
        last_seen[uid] = n
        if n % min(1000, PENDING_ROWS) == 0:
            for old in [u for u, at in last_seen.items() if n - at >= PENDING_ROWS]:
                yield _tabular_group(old, pending.pop(old), dataset, again=old in done)
                done.add(old)
                del last_seen[old]
    for uid, group in pending.items():
        yield _tabular_group(uid, group, dataset, again=uid in done)


def _tabular_group(uid: str, records: list[CsvRecord], dataset: str | None, *, again: bool) -> Contract | Problem:
    rows = [r.row for r in records]
    try:
        contract = contract_from_tabular_rows(uid, rows, dataset=dataset)
    except RecordError as exc:
        return Problem(str(exc), json.dumps(rows, ensure_ascii=False), uid)
    except Exception as exc:
        return Problem(f"mapper bug: {type(exc).__name__}: {exc}", json.dumps(rows, ensure_ascii=False), uid)
    if again:
        contract.warnings.append("rows of this uid are not together in the file: only the later ones are read")
    contract.raw, contract.raw_header = "".join(r.text for r in records), records[0].header
    return contract


def _zero_padded(value: Any, width: int, padded: list[str]) -> Any:
    """A SIRET (14) or postal code (5) that lost its leading zeros to a spreadsheet or a numeric column."""
    text = str(_present(value) or "")
    if text.endswith(".0"):
        text = text[:-2]
    if text.isdigit() and width - 2 <= len(text) < width:
        padded.append(text)
        return text.zfill(width)
    return text or value


def _modification_number(row: dict[str, Any]) -> int:
    value = _present(row.get("modification_id"))
    try:
        return int(float(value)) if value is not None else 0
    except ValueError:
        return 0


def contract_from_tabular_rows(uid: str, rows: list[dict[str, Any]], *, dataset: str | None = None) -> Contract:
    """The rows of one uid -> one contract: current rows give holders and amount (once), modification 0 the
    initial amount, rows of later modifications the modification history."""
    current = [r for r in rows if _bool(r.get("donneesActuelles"))]
    latest = max(_modification_number(r) for r in rows)
    if not current:
        current = [r for r in rows if _modification_number(r) == latest]
    base = current[0]
    holders = []
    padded: list[str] = []
    for r in current:
        if _present(r.get("titulaire_id")):
            holders.append(
                {
                    "id": _zero_padded(r.get("titulaire_id"), 14, padded)
                    if str(_present(r.get("titulaire_typeIdentifiant")) or "SIRET").upper() == "SIRET"
                    else r.get("titulaire_id"),
                    "typeIdentifiant": r.get("titulaire_typeIdentifiant"),
                    "nom": r.get("titulaire_nom"),
                }
            )
    record = {k: base.get(k) for k in base}
    record.update(
        {
            "uid": uid,
            "acheteur": {"id": _zero_padded(base.get("acheteur_id"), 14, padded), "nom": base.get("acheteur_nom")},
            "lieuExecution": {
                "code": _zero_padded(base.get("lieuExecution_code"), 5, padded)
                if "postal" in str(base.get("lieuExecution_typeCode") or "").lower()
                else base.get("lieuExecution_code"),
                "typeCode": base.get("lieuExecution_typeCode"),
            },
            "titulaires": [],
            "source": base.get("sourceDataset") or dataset,
        }
    )
    contract = contract_from_json(record, dataset=dataset)
    warnings = contract.warnings
    warnings.extend(f"{value}: leading zeros restored (read as a number)" for value in padded)
    seen: set[str] = set()
    for h in holders:
        w = winner(h, warnings, name=h["nom"])
        if w and w.id not in seen:
            seen.add(w.id)
            contract.winners.append(w)
    initial = [r for r in rows if _modification_number(r) == 0]
    dates = [d for d in (parse_date(str(_present(r.get("dateNotification")) or "")) for r in initial or rows) if d]
    if dates:
        contract.notified = min(dates)
    if initial:
        contract.initial_amount = _amount(initial[0].get("montant"), "initial amount", [])
    by_number: dict[int, dict[str, Any]] = {}
    for r in rows:
        number = _modification_number(r)
        if number > 0:
            by_number.setdefault(number, r)
    for number in sorted(by_number):
        r = by_number[number]
        contract.modifications.append(
            Modification(
                id=str(number),
                notified=_date(r.get("dateNotification"), f"modification {number} date", warnings),
                published=_date(r.get("datePublicationDonnees"), f"modification {number} publication date", warnings),
                amount=_amount(r.get("montant"), f"modification {number} amount", warnings),
                duration_months=_months(r.get("dureeMois"), f"modification {number} duration", warnings),
            )
        )
    # the current rows already hold the current amount and holders: modifications are history here
    return contract
