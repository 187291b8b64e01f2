"""Awarded contracts onto the ten themes: the notices' classifier run on a contract's object and CPV.

The one writer of `contract_themes` (uid, theme, score, taxonomy_version). A contract is classified again
only when its content changed (its `content_hash`) or the taxonomy did (`contracts_classified` remembers
what was classified with which version); `all_contracts` classifies them all. The contract's social
considerations are its own (DECP states them): only themes come from here.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlite_utils

from archive.db import now_iso
from classify.engine import Classifier, ClassifyInput

logger = logging.getLogger(__name__)

BATCH = 1_000


def contract_input(row: dict[str, Any]) -> ClassifyInput:
    """What the classifier reads of a `contracts` row: the object as title, the CPV, the buyer."""
    return ClassifyInput(
        id=f"decp:{row['uid']}",
        title=row.get("object"),
        buyer=row.get("buyer_name"),
        cpv=[row["cpv"]] if row.get("cpv") else [],
    )


def _to_classify(db: sqlite_utils.Database, version: str, all_contracts: bool) -> list[dict[str, Any]]:
    if all_contracts:
        return list(db.query("select uid, object, cpv, buyer_name, content_hash from contracts order by uid"))
    return list(
        db.query(
            """select c.uid, c.object, c.cpv, c.buyer_name, c.content_hash from contracts c
               left join contracts_classified k on k.uid = c.uid
               where k.uid is null or k.content_hash is not c.content_hash or k.taxonomy_version is not ?
               order by c.uid""",
            [version],
        )
    )


def classify_contracts(
    db: sqlite_utils.Database, classifier: Classifier, *, all_contracts: bool = False
) -> dict[str, int]:
    version = classifier.version
    rows = _to_classify(db, version, all_contracts)
    counts = {"contracts_classified": 0, "contracts_with_theme": 0, "contracts_skipped": 0}
    stamp = now_iso()
    for i in range(0, len(rows), BATCH):
        themes: list[tuple[str, str, float, str]] = []
        done: list[tuple[str, str, str, int, str]] = []
        for row in rows[i : i + BATCH]:
            try:
                result = classifier.classify(contract_input(row))
            except Exception as exc:  # one contract the classifier cannot read never stops the stage
                counts["contracts_skipped"] += 1
                logger.warning("classify: contract %s skipped: %s: %s", row["uid"], type(exc).__name__, exc)
                continue
            found = [(row["uid"], t["code"], float(t["score"]), version) for t in result["themes"]]
            themes.extend(found)
            done.append((row["uid"], row["content_hash"], version, len(found), stamp))
            counts["contracts_classified"] += 1
            counts["contracts_with_theme"] += bool(found)
        with db.conn:
            db.conn.executemany("delete from contract_themes where uid = ?", [(d[0],) for d in done])
            db.conn.executemany(
                "insert into contract_themes (uid, theme, score, taxonomy_version) values (?, ?, ?, ?)", themes
            )
            db.conn.executemany(
                "insert or replace into contracts_classified (uid, content_hash, taxonomy_version, themes, "
                "classified_at) values (?, ?, ?, ?, ?)",
                done,
            )
    return counts
