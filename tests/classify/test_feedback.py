"""Issue 11: "pas pour nous" feedback summarised per phrase (`classify --feedback-report`)."""

from __future__ import annotations

import json

from archive.db import open_db
from classify.feedback import feedback_report, format_report


def _themes(code: str, phrase: str, text: str) -> str:
    evidence = [{"field": "title", "phrase": phrase, "text": text, "match": "exact", "weight": 1.0}]
    return json.dumps([{"code": code, "score": 1.0, "evidence": evidence}])


def _archive(path):  # noqa: ANN001, ANN202
    db = open_db(path)
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
        db["sent_items"].insert({"subscriber_id": subscriber, "procedure_id": procedure, "signature": "s"})
    for subscriber, procedure, reason in [
        (1, "P1", "hors_metier"),
        (2, "P1", "hors_metier: pas du tourisme"),
        (1, "P1", "hors_metier"),
        (1, "P2", "trop_loin"),
    ]:
        db["feedback"].insert({"subscriber_id": subscriber, "procedure_id": procedure, "reason": reason})
    return db


def test_feedback_is_charged_to_the_deciding_phrase(tmp_path) -> None:  # noqa: ANN001
    db = _archive(tmp_path / "watch.db")
    (row,) = feedback_report(db)
    assert (row.theme, row.evidence) == ("tourisme_solidaire", "hebergement")
    assert row.rejected == 3 and row.sent == 3  # the repeated rejection by subscriber 1 counts once
    assert dict(row.reasons) == {"hors_metier": 2, "trop_loin": 1}
    text = format_report([row])
    assert "tourisme_solidaire" in text and "hebergement" in text and "100%" in text
    db.close()


def test_no_feedback_says_so(tmp_path) -> None:  # noqa: ANN001
    db = open_db(tmp_path / "watch.db")
    assert feedback_report(db) == []
    assert "no feedback yet" in format_report([])
    db.close()


def test_cli_feedback_report(watch, tmp_path) -> None:  # noqa: ANN001
    _archive(watch.db_path).close()
    result = watch.run("classify", "--feedback-report")
    assert result.returncode == 0, result.stderr
    assert "hebergement" in result.stdout and "rejected" in result.stdout
