"""The archive made readable: label tables, flat views and the buyer directory, built in the archive itself.

`prepare(db)` (re)creates them from the notices, classifications and procedures: `explore`, `buyers` and
`export` run it first, so they always reflect the archive. They hold only public data derived from the notices.

- label tables: `themes` (code, name, description), `kinds`, `statuses`, `states`, `departements` (with their
  region), `regions`, `cpv` (the CPV 2008 vocabulary in French);
- flat views: `notices_flat` (one row per notice: labels, themes as a JSON array, flags, procedure, month,
  département, region), `procedures_flat` (one row per procedure with its state and dates), `awards_flat`
  (one row per award with its winner);
- the buyer directory: `buyers`, `buyer_notices`, `buyer_themes` (analysts.buyers);
- the observatory: `observatory_contracts` and its views of shares by month, theme, buyer, département
  (analysts.observatory_views).
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlite_utils

from analysts import buyers as buyer_directory
from analysts import observatory_views
from analysts.labels import (
    CONTRACT_TYPES,
    KINDS,
    REGION_OF,
    SOURCES,
    STATES,
    STATUSES,
    departement_rows,
)
from classify import cpv
from classify.taxonomy import load as load_taxonomy

VIEWS = ("notices_flat", "procedures_flat", "awards_flat")
LABEL_TABLES = ("themes", "kinds", "statuses", "states", "contract_types", "sources", "departements", "regions", "cpv")

_THEMES_OF = """(select json_group_array(t.theme) from (select theme from notice_themes t
    where t.source = {a}.source and t.source_id = {a}.source_id order by score desc) t)"""
_THEME_NAMES_OF = """(select group_concat(name, ', ') from (select th.name from notice_themes t join themes th
    on th.code = t.theme where t.source = {a}.source and t.source_id = {a}.source_id order by t.score desc))"""

NOTICES_FLAT = f"""create view notices_flat as
select n.rowid as rowid, n.source, n.source_id, n.published, substr(n.published, 1, 7) as month,
    n.kind, k.name as kind_name, n.status, s.name as status_name, n.title, n.buyer_name, n.buyer_siret,
    n.buyer_city, json_extract(n.departements, '$[0]') as departement, d.nom as departement_name,
    d.region as region, n.departements,
    {_THEMES_OF.format(a="n")} as themes, {_THEME_NAMES_OF.format(a="n")} as theme_names,
    coalesce(c.reserved_contract, 0) as reserved_contract, coalesce(c.insertion_clause, 0) as insertion_clause,
    coalesce(c.social_criterion, 0) as social_criterion, c.event_name,
    pn.procedure_id, p.state as procedure_state, n.deadline, n.deadline_utc, n.contract_type, n.value, n.currency,
    json_extract(n.cpv, '$[0]') as cpv, n.url
from notices n
left join classifications c on c.source = n.source and c.source_id = n.source_id
left join procedure_notices pn on pn.source = n.source and pn.source_id = n.source_id
left join procedures p on p.id = pn.procedure_id
left join kinds k on k.code = n.kind
left join statuses s on s.code = n.status
left join departements d on d.code = json_extract(n.departements, '$[0]')"""

PROCEDURES_FLAT = """create view procedures_flat as
select p.id, p.state, st.name as state_name, p.title, p.buyer_name, p.first_published, p.last_published,
    substr(p.first_published, 1, 7) as month, p.deadline, p.deadline_utc, p.notices, p.sources,
    (select json_group_array(theme) from (select distinct t.theme from procedure_notices x join notice_themes t
        on t.source = x.source and t.source_id = x.source_id where x.procedure_id = p.id order by t.theme)) as themes,
    (select max(c.reserved_contract) from procedure_notices x join classifications c
        on c.source = x.source and c.source_id = x.source_id where x.procedure_id = p.id) as reserved_contract,
    (select max(c.insertion_clause) from procedure_notices x join classifications c
        on c.source = x.source and c.source_id = x.source_id where x.procedure_id = p.id) as insertion_clause,
    (select max(c.social_criterion) from procedure_notices x join classifications c
        on c.source = x.source and c.source_id = x.source_id where x.procedure_id = p.id) as social_criterion,
    (select json_extract(n.departements, '$[0]') from procedure_notices x join notices n
        on n.source = x.source and n.source_id = x.source_id where x.procedure_id = p.id
        order by x.position limit 1) as departement,
    p.updated_at
from procedures p left join states st on st.code = p.state"""

AWARDS_FLAT = f"""create view awards_flat as
select n.source, n.source_id, pn.procedure_id, n.published, substr(n.published, 1, 7) as month, n.title,
    n.buyer_name, a.key + 1 as position, a.value ->> 'lot' as lot, a.value ->> 'winner' as winner,
    a.value ->> 'siret' as winner_siret, a.value ->> 'amount' as amount, a.value ->> 'currency' as currency,
    a.value ->> 'award_date' as award_date, a.value ->> 'sme' as sme, a.value ->> 'intended' as intended,
    json_extract(n.departements, '$[0]') as departement, {_THEMES_OF.format(a="n")} as themes,
    coalesce(c.reserved_contract, 0) as reserved_contract, coalesce(c.insertion_clause, 0) as insertion_clause,
    n.url
from notices n join json_each(n.awards) a
left join classifications c on c.source = n.source and c.source_id = n.source_id
left join procedure_notices pn on pn.source = n.source and pn.source_id = n.source_id"""


def _labels(db: sqlite_utils.Database) -> None:
    taxonomy = load_taxonomy()
    tables = {
        "themes": [{"code": t.code, "name": t.label, "description": t.description} for t in taxonomy.themes],
        "kinds": [{"code": c, "name": n, "description": d} for c, (n, d) in KINDS.items()],
        "statuses": [{"code": c, "name": n, "description": d} for c, (n, d) in STATUSES.items()],
        "states": [{"code": c, "name": n, "description": d} for c, (n, d) in STATES.items()],
        "contract_types": [{"code": c, "name": n} for c, n in CONTRACT_TYPES.items()],
        "sources": [{"code": c, "name": n} for c, n in SOURCES.items()],
        "departements": departement_rows(),
        "regions": [{"name": r} for r in sorted(set(REGION_OF.values()))],
        "cpv": [{"code": c, "label": label} for c, label in cpv.labels().items()],
    }
    for name, rows in tables.items():
        pk = "name" if name == "regions" else "code"
        db[name].drop(ignore=True)
        db[name].insert_all(rows, pk=pk)


def prepare(db: sqlite_utils.Database, *, now: datetime | None = None) -> dict[str, int]:
    """(Re)build the label tables, the flat views, the buyer directory and the observatory's views; returns the
    directory's counts."""
    with db.conn:
        for view in (*VIEWS, *observatory_views.VIEWS):
            db.execute(f"drop view if exists {view}")
        _labels(db)
        for sql in (NOTICES_FLAT, PROCEDURES_FLAT, AWARDS_FLAT):
            db.execute(sql)
        counts = buyer_directory.rebuild(db, now=now or datetime.now(UTC))
        observatory_views.rebuild(db)  # the observatory's contracts and its shares by month, theme, buyer
    return counts
