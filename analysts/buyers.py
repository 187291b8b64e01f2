"""The buyer directory: one record per buyer, with its notices by theme and year and its social shares.

A buyer is keyed by its SIREN (the first nine digits of the SIRET the notices give), so two spellings of one
buyer sharing a SIRET (or a SIREN) are one buyer; a notice without SIRET joins the buyer whose name it bears
when that name is seen with one SIREN only, else it is keyed by its normalised name ("nom-ville-de-lyon").
Every spelling seen is kept (`names`). Built into the archive's `buyers`, `buyer_notices` and `buyer_themes`
tables by `rebuild`, from the notices and their classifications.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

import sqlite_utils

from analysts.horizon import horizon
from formatting.buyers import short_buyer
from formatting.places import departement_of_postal_code

LATEST = 5  # latest needs kept per buyer
HORIZON_MONTHS = 12  # the buyers' horizon: their upcoming purchases expected within a year (analysts.horizon)


def name_key(name: str | None) -> str:
    """ "Ville de Saint-Étienne, représentée par..." -> "ville-de-saint-etienne"."""
    short = short_buyer(name) or ""
    text = unicodedata.normalize("NFKD", short.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def siren_of(siret: str | None) -> str | None:
    digits = re.sub(r"\D", "", siret or "")
    return digits[:9] if len(digits) >= 9 else None


_NOTICES = """select n.source, n.source_id, n.buyer_name, n.buyer_siret, n.buyer_postal_code, n.departements,
    n.published, n.kind, n.status, n.title, n.deadline, n.deadline_utc, n.url, p.state,
    coalesce(c.reserved_contract, 0) as reserved, coalesce(c.insertion_clause, 0) as insertion,
    coalesce(c.social_criterion, 0) as criterion,
    (select json_group_array(theme) from notice_themes t where t.source = n.source and t.source_id = n.source_id)
        as themes
from notices n
left join classifications c on c.source = n.source and c.source_id = n.source_id
left join procedure_notices pn on pn.source = n.source and pn.source_id = n.source_id
left join procedures p on p.id = pn.procedure_id
where n.buyer_name is not null or n.buyer_siret is not null
order by n.published, n.source, n.source_id"""


def _share(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def rebuild(db: sqlite_utils.Database, *, now: datetime) -> dict[str, int]:
    """Rebuild the directory tables; returns {"buyers": N, "notices": M}."""
    rows = list(db.query(_NOTICES))
    sirens_of_name: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        siren = siren_of(r["buyer_siret"])
        if siren and name_key(r["buyer_name"]):
            sirens_of_name[name_key(r["buyer_name"])].add(siren)
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        siren = siren_of(r["buyer_siret"])
        key_name = name_key(r["buyer_name"])
        if not siren and len(sirens_of_name.get(key_name, ())) == 1:
            siren = next(iter(sirens_of_name[key_name]))
        if siren:
            groups[f"siren-{siren}"].append(r)
        elif key_name:
            groups[f"nom-{key_name}"].append(r)
    now_utc = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    coming = {u.notice: u for u in horizon(db, start=now.date(), months=HORIZON_MONTHS)}
    buyers, links, theme_rows = [], [], []
    for key, notices in groups.items():
        names = Counter(" ".join(r["buyer_name"].split()) for r in notices if r["buyer_name"])
        deps = Counter()
        for r in notices:
            dep = departement_of_postal_code(r["buyer_postal_code"])
            if dep:
                deps[dep] += 3  # the buyer's own address weighs more than where it buys
            for d in json.loads(r["departements"] or "[]")[:1]:
                deps[d] += 1
        themes: Counter[str] = Counter()
        by_year: Counter[tuple[str, str]] = Counter()
        for r in notices:
            year = (r["published"] or "")[:4]
            for theme in json.loads(r["themes"] or "[]"):
                themes[theme] += 1
                by_year[(theme, year)] += 1
            links.append({"buyer_key": key, "source": r["source"], "source_id": r["source_id"]})
        count = len(notices)
        reserved = sum(r["reserved"] for r in notices)
        insertion = sum(r["insertion"] for r in notices)
        criterion = sum(r["criterion"] for r in notices)
        latest = [
            {
                "published": r["published"],
                "title": r["title"],
                "kind": r["kind"],
                "notice": f"{r['source']}:{r['source_id']}",
            }
            for r in sorted(notices, key=lambda r: r["published"] or "", reverse=True)[:LATEST]
        ]
        upcoming = [
            {
                "deadline": r["deadline"],
                "title": r["title"],
                "url": r["url"],
                "notice": f"{r['source']}:{r['source_id']}",
            }
            for r in sorted(notices, key=lambda r: r["deadline_utc"] or "")
            if r["kind"] in ("contract_notice", "prior_information")
            and r["status"] != "cancellation"
            and r["state"] not in ("cancelled", "awarded")
            and (r["deadline_utc"] or "") > now_utc
        ]
        sirets = sorted({re.sub(r"\D", "", r["buyer_siret"]) for r in notices if r["buyer_siret"]})
        buyers.append(
            {
                "key": key,
                "name": names.most_common(1)[0][0] if names else key,
                "siren": key[len("siren-") :] if key.startswith("siren-") else None,
                "sirets": json.dumps(sirets),
                "names": json.dumps(sorted(names), ensure_ascii=False),
                "departement": deps.most_common(1)[0][0] if deps else None,
                "notices": count,
                "calls": sum(r["kind"] == "contract_notice" for r in notices),
                "awards": sum(r["kind"] == "award" for r in notices),
                "reserved_contracts": reserved,
                "insertion_clauses": insertion,
                "social_criteria": criterion,
                "reserved_share": _share(reserved, count),
                "insertion_share": _share(insertion, count),
                "social_criterion_share": _share(criterion, count),
                "themes": json.dumps(sorted(themes, key=lambda t: (-themes[t], t))),
                "themes_count": json.dumps(dict(themes.most_common()), ensure_ascii=False),
                "first_published": min((r["published"] or "" for r in notices), default=None) or None,
                "last_published": max((r["published"] or "" for r in notices), default=None) or None,
                "latest_needs": json.dumps(latest, ensure_ascii=False),
                "upcoming": json.dumps(upcoming, ensure_ascii=False),
                "upcoming_count": len(upcoming),
                "horizon": json.dumps(_horizon(notices, coming), ensure_ascii=False),
            }
        )
        theme_rows += [
            {"buyer_key": key, "theme": theme, "year": year, "notices": n} for (theme, year), n in by_year.items()
        ]
    for table in ("buyer_themes", "buyer_notices", "buyers_fts", "buyers"):
        db[table].drop(ignore=True)
    db["buyers"].create(
        {
            "key": str, "name": str, "siren": str, "sirets": str, "names": str, "departement": str,
            "notices": int, "calls": int, "awards": int, "reserved_contracts": int, "insertion_clauses": int,
            "social_criteria": int, "reserved_share": float, "insertion_share": float,
            "social_criterion_share": float, "themes": str, "themes_count": str, "first_published": str,
            "last_published": str, "latest_needs": str, "upcoming": str, "upcoming_count": int, "horizon": str,
        },
        pk="key",
    )  # fmt: skip
    db["buyers"].insert_all(buyers)
    db["buyer_notices"].create(
        {"buyer_key": str, "source": str, "source_id": str},
        pk=("source", "source_id"),
        foreign_keys=[("buyer_key", "buyers", "key")],
    )
    db["buyer_notices"].insert_all(links)
    db["buyer_notices"].create_index(["buyer_key"])
    db["buyer_themes"].create(
        {"buyer_key": str, "theme": str, "year": str, "notices": int},
        pk=("buyer_key", "theme", "year"),
        foreign_keys=[("buyer_key", "buyers", "key"), ("theme", "themes", "code")],
    )
    db["buyer_themes"].insert_all(theme_rows)
    db["buyers"].create_index(["departement"])
    db["buyers"].enable_fts(["name", "names"], fts_version="FTS5", tokenize="unicode61 remove_diacritics 2")
    return {"buyers": len(buyers), "notices": len(links)}


def _horizon(notices: list[dict[str, Any]], coming: dict[str, Any]) -> list[dict[str, Any]]:
    """This buyer's upcoming purchases (expected day, themes, title...), by theme then expected date."""
    mine = [coming[k] for r in notices if (k := f"{r['source']}:{r['source_id']}") in coming]
    mine.sort(key=lambda u: (u.themes[0] if u.themes else "~", u.expected or "9999", u.notice))
    keep = ("notice", "title", "themes", "expected", "interest_deadline", "value_band", "source", "url")
    return [{k: u.to_dict()[k] for k in keep} for u in mine]


def top_buyers(db: sqlite_utils.Database, *, top: int = 20, theme: str | None = None) -> list[dict[str, Any]]:
    """The directory's buyers, most notices first (in `theme` first when given: only buyers with some)."""
    if theme:
        sql = """select b.*, sum(t.notices) as theme_notices from buyers b join buyer_themes t on t.buyer_key = b.key
            where t.theme = ? group by b.key order by theme_notices desc, b.notices desc, b.name limit ?"""
        params: list[Any] = [theme, top]
    else:
        sql, params = "select *, null as theme_notices from buyers order by notices desc, name limit ?", [top]
    out = []
    for row in db.query(sql, params):
        row["themes_count"] = json.loads(row["themes_count"])
        row["names"] = json.loads(row["names"])
        out.append(row)
    return out


def render_buyers(buyers: list[dict[str, Any]], theme: str | None = None) -> str:
    lines = []
    for b in buyers:
        themes = ", ".join(f"{t} {n}" for t, n in list(b["themes_count"].items())[:3]) or "aucun thème"
        ident = f"SIREN {b['siren']}" if b["siren"] else "sans SIRET"
        lines.append(
            f"{b['name']} ({ident}, dép. {b['departement'] or '?'}): {b['notices']} avis"
            + (f", {b['theme_notices']} en {theme}" if theme else "")
            + f"; thèmes: {themes}; réservés {b['reserved_share']:.0f} %, clauses d'insertion"
            f" {b['insertion_share']:.0f} %, critères sociaux {b['social_criterion_share']:.0f} %"
            + (f"; {len(b['names'])} graphies" if len(b["names"]) > 1 else "")
        )
    return "\n".join(lines) if lines else "aucun acheteur"
