"""Classifying the archive: what is new or changed (or everything with --all), stored with its evidence.

Each notice gets one `classifications` row (themes, flags, event, all with evidence, and the taxonomy
version that produced them) and one `notice_themes` row per theme, indexed by theme for the alerts.
"""

from __future__ import annotations

import logging

import sqlite_utils

from archive.db import now_iso
from archive.tenders import Classification, notices_to_classify, save_classifications, stale_classifications
from classify.engine import Classifier, ClassifyInput

logger = logging.getLogger(__name__)

BATCH = 500


def classify_archive(db: sqlite_utils.Database, classifier: Classifier, *, all_notices: bool = False) -> dict[str, int]:
    rows = notices_to_classify(db, all_notices=all_notices)
    counts = {"classified": 0, "with_theme": 0, "reserved_contract": 0, "insertion_clause": 0, "event": 0, "skipped": 0}
    stamp = now_iso()
    for i in range(0, len(rows), BATCH):
        records = []
        for row in rows[i : i + BATCH]:
            try:
                result = classifier.classify(ClassifyInput.from_notice_row(row))
            except Exception as exc:  # one notice the classifier cannot read never stops the stage
                counts["skipped"] += 1
                logger.warning(
                    "classify: notice %s:%s skipped: %s: %s", row["source"], row["source_id"], type(exc).__name__, exc
                )
                continue
            record = Classification.from_result(row["source"], row["source_id"], result, classifier.version, stamp)
            records.append(record)
            counts["classified"] += 1
            counts["with_theme"] += bool(record.themes)
            counts["reserved_contract"] += record.social.reserved_contract
            counts["insertion_clause"] += record.social.insertion_clause
            counts["event"] += record.event is not None
        save_classifications(db, records)
        if len(rows) > BATCH:
            logger.info("classify: %s of %s notices", f"{min(i + BATCH, len(rows)):,}", f"{len(rows):,}")
    stale = stale_classifications(db, classifier.version)
    if stale:
        logger.info("classify: %s notices were classified with an older taxonomy: run `classify --all`", stale)
    return counts
