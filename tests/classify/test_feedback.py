"""Issue 11: "pas pour nous" feedback summarised per phrase (`classify --feedback-report`)."""

from __future__ import annotations

import json

from archive.db import open_db
from archive.private import open_private
from classify.feedback import feedback_report, format_report


def _themes(code: str, phrase: str, text: str) -> str:
    evidence = [{"field": "title", "phrase": phrase, "text": text, "match": "exact", "weight": 1.0}]
    return json.dumps([{"code": code, "score": 1.0, "evidence": evidence}])


def _stores(archive_path, private_path):  # noqa: ANN001, ANN202
    db, private = open_db(archive_path), open_private(private_path)
    rows = [
        ("boamp", "1", "P1", "tourisme_solidaire", "hebergement", "Hébergement"),
        ("boamp", "2", "P2", "tourisme_solidaire", "hebergement", "hébergement"),
        ("boamp", "3", "P3", "restauration_solidaire", "repas", "repas"),
    ]
    for source, source_id, procedure, code, phrase, text in rows:
        db["notices"].insert({"source": source, "source_id": source_id, "procedure_id": procedure, "title": text})
        db["classifications"].insert(
            {"source": source, "source_id": source_id, "themes": _themes(code, phrase, text), "taxonomy_version": "t"}
        )
    for subscriber, procedure in [(1, "P1"), (2, "P1"), (1, "P2"), (1, "P3"), (2, "P3")]:
        private["sent_items"].insert({"subscriber_id": subscriber, "procedure_id": procedure, "signature": "s"})
    for subscriber, procedure, reason in [
        (1, "P1", "hors_metier"),
        (2, "P1", "hors_metier: pas du tourisme"),
        (1, "P1", "hors_metier"),
        (1, "P2", "trop_loin"),
    ]:
        # as the endpoint records it: a second reason of one structure for one tender replaces the first
        private["feedback"].insert(
            {"subscriber_id": subscriber, "procedure_id": procedure, "reason": reason}, replace=True
        )
    return db, private


def test_feedback_is_charged_to_the_deciding_phrase(tmp_path) -> None:  # noqa: ANN001
    db, private = _stores(tmp_path / "watch.db", tmp_path / "private.db")
    (row,) = feedback_report(db, private)
    assert (row.theme, row.evidence) == ("tourisme_solidaire", "hebergement")
    assert row.rejected == 3 and row.sent == 3  # the repeated rejection by subscriber 1 counts once
    assert dict(row.reasons) == {"hors_metier": 2, "trop_loin": 1}
    text = format_report([row])
    assert "tourisme_solidaire" in text and "hebergement" in text and "100%" in text
    db.close()
    private.close()


def test_no_feedback_says_so(tmp_path) -> None:  # noqa: ANN001
    db, private = open_db(tmp_path / "watch.db"), open_private(tmp_path / "private.db")
    assert feedback_report(db, private) == []
    assert "no feedback yet" in format_report([])
    db.close()
    private.close()


def test_cli_feedback_report(watch, tmp_path) -> None:  # noqa: ANN001
    for store in _stores(watch.db_path, watch.env["WATCH_PRIVATE_DB"]):
        store.close()
    result = watch.run("classify", "--feedback-report")
    assert result.returncode == 0, result.stderr
    assert "hebergement" in result.stdout and "rejected" in result.stdout
