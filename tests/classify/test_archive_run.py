"""Classification stored in the archive, new-only by default, and the JSON-lines interface."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import Watch, all_boamp_records, serve_boamp, serve_ted, ted_corpus

from archive.db import open_db
from archive.store import Archive
from classify.archive_run import classify_archive
from classify.engine import Classifier
from notices.boamp import parse_record
from replay.server import ReplayServer


def test_classify_new_then_changed_then_all(tmp_path: Path) -> None:
    archive = Archive(open_db(tmp_path / "a.db"))
    archive.upsert_notices([parse_record(r) for r in all_boamp_records()])
    classifier = Classifier()
    first = classify_archive(archive.db, classifier)
    assert first["classified"] == 27
    assert archive.db["classifications"].count == 27
    assert classify_archive(archive.db, classifier)["classified"] == 0  # nothing new
    row = archive.db["classifications"].get(("boamp", "26-7308"))  # "Prestations traiteurs ..."
    themes = json.loads(row["themes"])
    assert themes[0]["code"] == "restauration_solidaire" and themes[0]["evidence"]
    assert row["taxonomy_version"] == classifier.version and row["social_criterion"] == 1
    assert ("boamp", "26-7308", "restauration_solidaire") in [
        (r["source"], r["source_id"], r["theme"]) for r in archive.db["notice_themes"].rows
    ]
    changed = parse_record(next(r for r in all_boamp_records() if r["idweb"] == "26-7298"))
    changed.title = "Fourniture de repas pour la cantine"
    archive.db.execute("update classifications set classified_at = '2000-01-01' where source_id = '26-7298'")
    archive.upsert_notices([changed])
    assert classify_archive(archive.db, classifier)["classified"] == 1
    assert classify_archive(archive.db, classifier, all_notices=True)["classified"] == 27


def test_jsonl_interface(watch: Watch, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        "\n".join(
            [
                json.dumps({"id": "1", "title": "Location de chapiteaux", "descriptors": ["Tente"]}),
                json.dumps({"id": "2", "title": "Travaux de voirie", "cpv": ["45233140"]}),
                "{broken",
                json.dumps({"title": "no id"}),
            ]
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    proc = watch.run("classify", "--jsonl", str(source), "--out", str(out))
    assert proc.returncode == 1 and "line 3" in proc.stderr
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [x["id"] for x in lines] == ["1", "2", None, None]
    assert lines[0]["themes"][0]["code"] == "usages_ephemeres"
    assert {e["field"] for e in lines[0]["themes"][0]["evidence"]} == {"title", "descriptors"}
    assert lines[1]["themes"] == [] and set(lines[1]["social"]) == {
        "reserved_contract",
        "insertion_clause",
        "social_criterion",
    }
    assert lines[2]["error"].startswith("line 3") and "id" in lines[3]["error"]


def test_once_crawls_links_and_classifies_every_notice(replay: ReplayServer, watch: Watch) -> None:
    serve_boamp(replay, watch, all_boamp_records())
    notices, xml = ted_corpus()
    serve_ted(replay, watch, notices, xml)
    watch.write_config(
        f"sources:\n  boamp:\n    first_run_days: 8000\n  ted:\n    first_run_days: 3000\n    delay: 0\n"
        f"platforms:\n  atexo: []\nlogging:\n  file: {watch.tmp / 'l.log'}\n"
    )
    proc = watch.run("once")
    assert proc.returncode == 0, proc.stderr[-2000:]
    total = watch.count()
    assert total > 40
    assert watch.count("select count(*) from classifications") == total
    assert watch.count("select count(*) from procedure_notices") == total
    reserved = (
        watch.db()
        .execute("select source_id from classifications where reserved_contract = 1 order by source_id")
        .fetchall()
    )
    assert ("900009-2023",) in reserved  # cn_24_maximal: BT-71 res-pub-ser
