"""The read side of awarded contracts (DECP) and of the companies register, as typed records.

Only this module speaks the SQL of `contracts` × `contract_winners` × `contract_themes` and of `companies`
for the stages above (the partnering leads); archive.contracts is their write side. A contract is read with
its holders and the themes the contracts classifier gave it; a contract without any theme is never read
here (no stage above needs it).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlite_utils

from archive.contracts import _company as company_from_row  # the one reading of a `companies` row
from notices.companies import Company

logger = logging.getLogger(__name__)


@dataclass
class Holder:
    """One holder of a contract as DECP declares it; `siren` only when the id is a SIRET or a SIREN."""

    winner_id: str
    siren: str | None
    name: str | None


@dataclass
class AwardedContract:
    uid: str
    object: str | None
    buyer_name: str | None
    buyer_siret: str | None
    amount: float | None
    notified: str | None  # ISO day
    published: str | None
    departement: str | None
    social_clause: bool | None  # None: the record states nothing about social considerations
    subcontracting_declared: bool | None
    procedure_id: str | None  # the watch's procedure, when the linker found it
    holders: list[Holder] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)  # best score first


def _flag(value: int | None) -> bool | None:
    return None if value is None else bool(value)


def themed_contracts(
    db: sqlite_utils.Database, first_day: str, last_day: str | None = None, *, holder_sizes: Iterable[str] = ()
) -> list[AwardedContract]:
    """Contracts with at least one theme whose data was published (else notified) from `first_day` on (to
    `last_day` inclusive when given), with their holders and themes, in a stable order. `holder_sizes`: only
    contracts with a holder the register knows at one of these sizes (all contracts when empty)."""
    if not (db["contracts"].exists() and db["contract_themes"].exists()):
        return []
    day = "coalesce(c.published, c.notified)"
    where = f"{day} >= ?" + (f" and {day} <= ?" if last_day else "")
    params = [first_day] + ([last_day] if last_day else [])
    sizes = sorted(set(holder_sizes))
    if sizes and db["companies"].exists():
        where += (
            " and exists (select 1 from contract_winners w join companies co on co.siren = w.siren"
            f" where w.uid = c.uid and co.size in ({','.join('?' * len(sizes))}))"
        )
        params += sizes
    elif sizes:
        return []
    sql = (
        "select c.uid, c.object, c.buyer_name, c.buyer_siret, c.amount, c.notified, c.published, c.departement,"
        " c.social_clause, c.subcontracting_declared, c.procedure_id,"
        " (select json_group_array(theme) from (select theme from contract_themes t where t.uid = c.uid"
        "  order by t.score desc, t.theme)) as themes"
        f" from contracts c where {where} and exists (select 1 from contract_themes t where t.uid = c.uid)"
        " order by c.uid"
    )
    contracts = {
        row["uid"]: AwardedContract(
            uid=row["uid"],
            object=row["object"],
            buyer_name=row["buyer_name"],
            buyer_siret=row["buyer_siret"],
            amount=row["amount"],
            notified=row["notified"],
            published=row["published"],
            departement=row["departement"],
            social_clause=_flag(row["social_clause"]),
            subcontracting_declared=_flag(row["subcontracting_declared"]),
            procedure_id=row["procedure_id"],
            themes=json.loads(row["themes"] or "[]"),
        )
        for row in db.query(sql, params)
    }
    uids = list(contracts)
    for i in range(0, len(uids), 500):
        chunk = uids[i : i + 500]
        marks = ",".join("?" * len(chunk))
        for row in db.query(
            f"select uid, winner_id, siren, name from contract_winners where uid in ({marks}) order by uid, position",
            chunk,
        ):
            contracts[row["uid"]].holders.append(Holder(row["winner_id"], row["siren"], row["name"]))
    return list(contracts.values())


def companies_by_siren(db: sqlite_utils.Database, sirens: Iterable[str]) -> dict[str, Company]:
    """What the register knows of these legal units (a SIREN it does not know is simply absent)."""
    wanted = sorted({s for s in sirens if s})
    if not wanted or not db["companies"].exists():
        return {}
    found: dict[str, Company] = {}
    for i in range(0, len(wanted), 500):
        chunk = wanted[i : i + 500]
        marks = ",".join("?" * len(chunk))
        for row in db.query(f"select * from companies where siren in ({marks})", chunk):
            try:
                found[row["siren"]] = company_from_row(row)
            except (ValueError, TypeError) as exc:  # one unreadable row is one unknown company, never a stop
                logger.warning("archive: companies row %s left out: %s: %s", row["siren"], type(exc).__name__, exc)
    return found
