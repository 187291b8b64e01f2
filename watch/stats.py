"""`run_watch.py stats`: what the archive holds, for an operator or an analyst at a glance."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from archive import runs


def collect(db: sqlite_utils.Database, days: int = 14) -> dict[str, Any]:
    q = db.execute
    return {
        "notices": q("select count(*) from notices").fetchone()[0],
        "by_source": dict(q("select source, count(*) from notices group by source order by source").fetchall()),
        "by_kind": [
            {"source": s, "kind": k, "status": st, "count": c}
            for s, k, st, c in q(
                "select source, kind, status, count(*) from notices group by 1, 2, 3 order by 1, 2, 3"
            ).fetchall()
        ],
        "by_day": [
            {"published": d, "source": s, "count": c}
            for d, s, c in q(
                """select published, source, count(*) from notices where published in
                   (select distinct published from notices order by published desc limit ?)
                   group by 1, 2 order by 1 desc, 2""",
                [days],
            ).fetchall()
        ],
        "procedures": dict(q("select state, count(*) from procedures group by state order by state").fetchall()),
        "quarantine": runs.quarantine_count(db),
        "quarantine_latest": runs.latest_quarantined(db),
        "watermarks": [
            {"source": s, "endpoint": e, "value": v}
            for s, e, v in q("select source, endpoint, value from watermarks order by source").fetchall()
        ],
        "last_runs": runs.latest_runs(db),
        "contracts": contract_counts(db),
    }


def contract_counts(db: sqlite_utils.Database) -> dict[str, int]:
    """Awarded contracts (DECP) and the companies register: what they hold, and how much of it is known."""
    row = db.execute(
        """select count(*), coalesce(sum(winners), 0), count(linked_by), coalesce(sum(social_clause), 0),
                  coalesce(sum(social_criterion), 0), coalesce(sum(reserved), 0), coalesce(sum(social_stated = 0), 0),
                  (select count(distinct uid) from contract_themes)
           from contracts"""
    ).fetchone()
    companies = db.execute(
        "select count(*), coalesce(sum(ess), 0), count(inclusive_kind), count(size) from companies"
    ).fetchone()
    known = db.execute("select count(*) from contract_winners w join companies c on c.siren = w.siren").fetchone()[0]
    names = ("contracts", "holders", "linked", "social_clause", "social_criterion", "reserved", "social_unstated")
    return {
        **dict(zip((*names, "with_theme"), row, strict=True)),
        "companies": companies[0],
        "companies_ess": companies[1],
        "companies_inclusive": companies[2],
        "companies_sized": companies[3],
        "holders_in_register": known,
    }


def render(stats: dict[str, Any]) -> str:
    lines = [f"notices: {stats['notices']:,}"]
    for source, count in stats["by_source"].items():
        lines.append(f"  {source}: {count:,}")
    lines.append("by kind and status:")
    for row in stats["by_kind"]:
        lines.append(f"  {row['source']:<8} {row['kind']:<18} {row['status']:<13} {row['count']:>8,}")
    lines.append("by publication day (latest first):")
    for row in stats["by_day"]:
        lines.append(f"  {row['published']}  {row['source']:<8} {row['count']:>8,}")
    procedures = stats["procedures"]
    lines.append(f"procedures (tenders, notices grouped across sources): {sum(procedures.values()):,}")
    for state, count in procedures.items():
        lines.append(f"  {state:<10} {count:>8,}")
    lines.append(f"quarantine: {stats['quarantine']:,} record(s)")
    for row in stats["quarantine_latest"]:
        lines.append(f"  {row['source']} {row['source_id'] or '?'}: {row['error']}")
    if stats["watermarks"]:
        lines.append("watermarks (every notice published up to this day is archived):")
        for row in stats["watermarks"]:
            lines.append(f"  {row['source']}: {row['value']}  ({row['endpoint']})")
    c = stats["contracts"]
    if c["contracts"] or c["companies"]:
        lines.append(
            f"contracts (DECP): {c['contracts']:,} with {c['holders']:,} holders; {c['social_clause']:,} with a "
            f"social clause, {c['social_criterion']:,} a social criterion, {c['reserved']:,} reserved, "
            f"{c['social_unstated']:,} stating nothing; {c['with_theme']:,} on a theme; "
            f"{c['linked']:,} linked to a notice"
        )
        lines.append(
            f"companies register: {c['companies']:,} legal units ({c['companies_ess']:,} ESS, "
            f"{c['companies_inclusive']:,} inclusive-employment, {c['companies_sized']:,} with a size); "
            f"holders found in it: {c['holders_in_register']:,} of {c['holders']:,}"
        )
    if stats["last_runs"]:
        lines.append("last runs:")
        for r in stats["last_runs"]:
            lines.append(
                f"  {r['started']} {r['job']:<14} {r['outcome']:<11} read {r['fetched'] or 0:,}, "
                f"new {r['new'] or 0:,}, updated {r['updated'] or 0:,}, quarantined {r['quarantined'] or 0:,}"
            )
    return "\n".join(lines)
