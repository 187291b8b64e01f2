"""The observatory's indicators in the analysts' archive, for Datasette: one table, three views.

- `observatory_contracts`: one row per awarded contract as the observatory counts it (observatory.records:
  the DECP contracts, and the award notices' lots no contract is linked to), with the columns every figure is
  made of: amount, social considerations, and for ESS / inclusive / TPE-PME / charter holders the contract's
  state (oui / non / inconnu) and the part of its amount that is known to be of the kind or unknown;
- `observatory_by_month`, `observatory_by_theme`, `observatory_by_buyer`, `observatory_by_departement`:
  the shares per group and year (per month, with its quarter), computed by SQL over that table.

The table is rebuilt by `analysts.tables.prepare` from the archive, so it always says what the report says.
"""

from __future__ import annotations

import sqlite_utils

from classify.event import EventConfig
from observatory.indicators import buyer_key
from observatory.records import iter_awarded

TABLE = "observatory_contracts"
KINDS = {"ess": "ess", "inclusive": "insertion", "sme": "tpe_pme", "charter": "charte"}
GROUPS = {
    "observatory_by_month": ("month", "month"),
    "observatory_by_theme": ("main_theme", "coalesce((select name from themes where code = main_theme), main_theme)"),
    "observatory_by_buyer": ("buyer_key", "max(buyer_name)"),
    "observatory_by_departement": (
        "departement",
        "coalesce((select nom from departements where code = departement), departement)",
    ),
}
VIEWS = tuple(GROUPS)

_STATE = {"yes": "oui", "no": "non", "unknown": "inconnu"}


def _rows(db: sqlite_utils.Database, event: EventConfig | None):  # noqa: ANN202 - an iterator of dicts
    for r in iter_awarded(db, event):
        row = {
            "key": r.key,
            "origin": r.origin,
            "day": r.day,
            "month": r.month,
            "quarter": f"{r.day[:4]}-Q{(int(r.day[5:7]) - 1) // 3 + 1}" if r.day else None,
            "year": r.day[:4] if r.day else None,
            "buyer_key": buyer_key(r),
            "buyer_name": r.buyer_name,
            "buyer_siret": r.buyer_siret,
            "object": r.object,
            "departement": r.departement,
            "main_theme": r.main_theme,
            "themes": r.themes,
            "event": int(r.event),
            "amount": r.amount,
            "holders": len(r.holders),
            "holder_names": " ; ".join(h.name or h.id or "?" for h in r.holders),
            "social_stated": int(r.social_stated),
            "social_clause": None if r.clause is None else int(r.clause),
            "social_criterion": None if r.criterion is None else int(r.criterion),
            "reserved": None if r.reserved is None else int(r.reserved),
            "url": r.url,
        }
        for kind, column in KINDS.items():
            row[column] = _STATE[r.state(kind)]
            row[f"amount_{column}"] = r.amount_part(kind, "yes")
            row[f"amount_{column}_unknown"] = r.amount_part(kind, "unknown")
        yield row


def _share(part: str, whole: str) -> str:
    return f"round(100.0 * {part} / nullif({whole}, 0), 1)"


def _view(name: str, key: str, label: str) -> str:
    periods = "year, quarter" if key == "month" else "year"  # a group's shares per year (per month: its quarter)
    stated = "sum(social_stated)"
    stated_amount = "sum(case when social_stated = 1 then coalesce(amount, 0) else 0 end)"
    total = "sum(coalesce(amount, 0))"
    parts = []
    for c in KINDS.values():
        won = "sum(" + c + " = 'oui')"
        parts.append(
            f"{_share(f'sum(amount_{c})', total)} as share_amount_{c}, "
            f"{_share(f'sum(amount_{c}_unknown)', total)} as share_amount_{c}_unknown, "
            f"{_share(won, 'count(*)')} as share_number_{c}"
        )
    shares = ",\n    ".join(parts)
    return f"""create view {name} as
select {key} as key, {label} as label, {periods}, count(*) as contracts, {total} as amount,
    sum(amount is null) as without_amount, sum(event) as event_contracts,
    {shares},
    {stated} as stated, sum(social_stated = 1 and coalesce(social_clause, 0) + coalesce(social_criterion, 0)
        + coalesce(reserved, 0) = 0) as stated_none, sum(social_stated = 0) as unstated,
    {_share("sum(social_clause)", stated)} as share_number_clause,
    {_share("sum(case when social_clause = 1 then amount else 0 end)", stated_amount)} as share_amount_clause,
    {_share("sum(social_criterion)", stated)} as share_number_criterion,
    {_share("sum(reserved)", stated)} as share_number_reserved
from {TABLE} group by {key}, {periods}"""


def rebuild(db: sqlite_utils.Database, event: EventConfig | None = None) -> int:
    """(Re)build the table and the views (`prepare` runs it, in its transaction); returns the rows written."""
    for view in VIEWS:
        db.execute(f"drop view if exists {view}")
    db[TABLE].drop(ignore=True)
    rows = list(_rows(db, event))
    shares = {
        k: t for c in KINDS.values() for k, t in ((c, str), (f"amount_{c}", float), (f"amount_{c}_unknown", float))
    }
    db[TABLE].create(
        {"key": str, "origin": str, "day": str, "month": str, "quarter": str, "year": str, "buyer_key": str,
         "buyer_name": str, "buyer_siret": str, "object": str, "departement": str, "main_theme": str, "themes": str,
         "event": int, "amount": float, "holders": int, "holder_names": str, "social_stated": int,
         "social_clause": int, "social_criterion": int, "reserved": int, "url": str,
         **shares},
        pk="key",
    )  # fmt: skip
    if rows:
        db[TABLE].insert_all(rows, batch_size=500)
    for name, (key, label) in GROUPS.items():
        db.execute(_view(name, key, label))
    return len(rows)


_SHARE_DOCS = {
    "ess": "structures de l'ESS",
    "insertion": "structures d'insertion et du handicap (SIAE, GEIQ, EA, ESAT)",
    "tpe_pme": "TPE et PME",
    "charte": "TPE/PME ou ESS (objectif de 25 % de la charte)",
}


def _view_columns(label: str) -> dict[str, str]:
    columns = {
        "key": "Clé du groupe",
        "label": label,
        "year": "Année",
        "contracts": "Marchés attribués",
        "amount": "Montant total HT",
        "without_amount": "Marchés sans montant (comptés dans le nombre)",
        "event_contracts": "Marchés du périmètre de l'événement",
        "stated": "Marchés qui déclarent leurs considérations sociales",
        "stated_none": "… dont aucune",
        "unstated": "Marchés qui n'en disent rien",
        "share_number_clause": "Part des marchés avec clause sociale (parmi ceux qui déclarent), %",
        "share_amount_clause": "Part du montant avec clause sociale (parmi ceux qui déclarent), %",
        "share_number_criterion": "Part des marchés avec critère social (parmi ceux qui déclarent), %",
        "share_number_reserved": "Part des marchés réservés (parmi ceux qui déclarent), %",
    }
    for c, what in _SHARE_DOCS.items():
        columns[f"share_amount_{c}"] = f"Part du montant aux {what}, %"
        columns[f"share_amount_{c}_unknown"] = f"Part du montant dont on ne sait pas si le titulaire est des {what}, %"
        columns[f"share_number_{c}"] = f"Part des marchés dont un titulaire est des {what}, %"
    return columns


_CONTRACT_COLUMNS = {
    "key": "Marché : decp:<uid> ou <source>:<avis>[#lot]",
    "origin": "decp (données essentielles) ou notice (avis d'attribution sans contrat DECP rattaché)",
    "day": "Date de notification (DECP) ou d'attribution de l'avis",
    "month": "Mois (AAAA-MM)",
    "quarter": "Trimestre (AAAA-Qn)",
    "year": "Année",
    "buyer_key": "Acheteur : son SIREN, ou son nom sans SIRET",
    "buyer_name": "Acheteur",
    "buyer_siret": "SIRET de l'acheteur",
    "object": "Objet",
    "departement": "Département",
    "main_theme": "Thème ESS principal",
    "themes": "Thèmes ESS (JSON, le meilleur d'abord)",
    "event": "Dans le périmètre de l'événement (1 : lié à un avis de l'événement, ou acheteur dédié)",
    "amount": "Montant HT",
    "holders": "Nombre de titulaires (le montant est partagé à parts égales)",
    "holder_names": "Titulaires",
    "social_stated": "La déclaration dit ses considérations sociales (1), ou rien (0)",
    "social_clause": "Clause sociale : 1, 0, vide si non déclaré",
    "social_criterion": "Critère social : 1, 0, vide si non déclaré",
    "reserved": "Marché réservé : 1, 0, vide si non déclaré",
    "url": "Avis",
}
for _c, _what in _SHARE_DOCS.items():
    _CONTRACT_COLUMNS[_c] = f"Un titulaire est des {_what} : oui, non, inconnu"
    _CONTRACT_COLUMNS[f"amount_{_c}"] = f"Part du montant aux {_what}"
    _CONTRACT_COLUMNS[f"amount_{_c}_unknown"] = f"Part du montant dont le titulaire est inconnu ({_what})"

_UNITS = {"amount": "€"}
METADATA: dict[str, dict] = {
    TABLE: {
        "title": "Observatoire : marchés attribués",
        "description": "Un marché attribué par ligne, compté une fois (contrats DECP, et avis d'attribution sans "
        "contrat rattaché), avec ce dont chaque chiffre de l'observatoire est fait.",
        "sort_desc": "day",
        "facets": ["year", "quarter", "origin", "charte", "ess", "departement", "main_theme", "event"],
        "units": {"amount": "€", **{f"amount_{c}": "€" for c in KINDS.values()}},
        "columns": _CONTRACT_COLUMNS,
    },
    "observatory_by_month": {
        "title": "Observatoire : parts par mois",
        "description": "Par mois : nombre, montant, parts aux TPE/PME/ESS (objectif 25 %), à l'ESS, à l'insertion, "
        "avec la part dont le titulaire est inconnu ; clauses sociales.",
        "sort_desc": "key",
        "units": _UNITS,
        "columns": {**_view_columns("Mois"), "quarter": "Trimestre (AAAA-Qn)"},
    },
    "observatory_by_theme": {
        "title": "Observatoire : parts par thème",
        "description": "Par thème ESS principal et par année.",
        "units": _UNITS,
        "columns": _view_columns("Thème"),
    },
    "observatory_by_buyer": {
        "title": "Observatoire : parts par acheteur",
        "description": "Par acheteur (SIREN) et par année.",
        "sort_desc": "amount",
        "units": _UNITS,
        "columns": _view_columns("Acheteur"),
    },
    "observatory_by_departement": {
        "title": "Observatoire : parts par département",
        "description": "Par département et par année.",
        "units": _UNITS,
        "columns": _view_columns("Département"),
    },
}

# The foundation's tables (migration 011), described here until their writers describe them in
# analysts.metadata (TABLES.setdefault: a description given there wins).
FOUNDATION_TABLES: dict[str, dict] = {
    "contracts": {"title": "Contrats attribués (DECP)", "description": "Les données essentielles des marchés.",
                  "sort_desc": "notified", "units": {"amount": "€", "initial_amount": "€"}},
    "contract_winners": {"title": "Titulaires des contrats", "facets": ["id_type"]},
    "contract_modifications": {"title": "Modifications des contrats"},
    "contract_raw": {"title": "Contrats bruts", "hidden": True},
    "contract_themes": {"title": "Thèmes de chaque contrat", "facets": ["theme"]},
    "companies": {"title": "Répertoire des entreprises", "facets": ["ess", "inclusive_kind", "size"]},
}  # fmt: skip
