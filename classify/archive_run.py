"""Classifying the archive: what is new or changed (or everything with --all), stored with its evidence.

Each notice gets one `classifications` row (themes, flags, event, all with evidence, and the taxonomy
version that produced them) and one `notice_themes` row per theme, indexed by theme for the alerts.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import sqlite_utils

from archive.db import now_iso
from classify.engine import Classifier, ClassifyInput

logger = logging.getLogger(__name__)

BATCH = 500


def pending_query(all_notices: bool) -> str:
    base = "select n.* from notices n"
    if all_notices:
        return base
    return (
        base + " left join classifications c on c.source = n.source and c.source_id = n.source_id"
        " where c.source is null or c.classified_at < n.updated_at"
    )


def classify_archive(db: sqlite_utils.Database, classifier: Classifier, *, all_notices: bool = False) -> dict[str, int]:
    rows = list(db.query(pending_query(all_notices)))
    counts = {"classified": 0, "with_theme": 0, "reserved_contract": 0, "insertion_clause": 0, "event": 0, "skipped": 0}
    stamp = now_iso()
    for i in range(0, len(rows), BATCH):
        chunk = rows[i : i + BATCH]
        records, themes = [], []
        done = []
        for row in chunk:
            try:
                result = classifier.classify(ClassifyInput.from_notice_row(row))
            except Exception as exc:  # one notice the classifier cannot read never stops the stage
                counts["skipped"] += 1
                logger.warning(
                    "classify: notice %s:%s skipped: %s: %s", row["source"], row["source_id"], type(exc).__name__, exc
                )
                continue
            done.append(row)
            records.append(_record(row, result, classifier.version, stamp))
            themes += [
                {"source": row["source"], "source_id": row["source_id"], "theme": t["code"], "score": t["score"]}
                for t in result["themes"]
            ]
            counts["classified"] += 1
            counts["with_theme"] += bool(result["themes"])
            counts["reserved_contract"] += result["social"]["reserved_contract"]["value"]
            counts["insertion_clause"] += result["social"]["insertion_clause"]["value"]
            counts["event"] += result["event"] is not None
        with db.conn:
            keys = [(r["source"], r["source_id"]) for r in done]
            for source, source_id in keys:
                db.execute("delete from notice_themes where source = ? and source_id = ?", [source, source_id])
            db["classifications"].upsert_all(records, pk=("source", "source_id"))
            if themes:
                db["notice_themes"].insert_all(themes, pk=("source", "source_id", "theme"), replace=True)
        if len(rows) > BATCH:
            logger.info("classify: %s of %s notices", f"{min(i + BATCH, len(rows)):,}", f"{len(rows):,}")
    stale = db.execute(
        "select count(*) from classifications where taxonomy_version != ?", [classifier.version]
    ).fetchone()[0]
    if stale:
        logger.info("classify: %s notices were classified with an older taxonomy: run `classify --all`", stale)
    return counts


def _record(row: dict[str, Any], result: dict[str, Any], version: str, stamp: str) -> dict[str, Any]:
    social = result["social"]
    return {
        "source": row["source"],
        "source_id": row["source_id"],
        "taxonomy_version": version,
        "themes": json.dumps(result["themes"], ensure_ascii=False),
        "social": json.dumps(social, ensure_ascii=False),
        "event": json.dumps(result["event"], ensure_ascii=False) if result["event"] else None,
        "reserved_contract": int(social["reserved_contract"]["value"]),
        "insertion_clause": int(social["insertion_clause"]["value"]),
        "social_criterion": int(social["social_criterion"]["value"]),
        "event_name": result["event"]["name"] if result["event"] else None,
        "classified_at": stamp,
    }
