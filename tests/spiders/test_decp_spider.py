"""The DECP spider in process: recorded DECP files served by the replay, the archive pipeline around them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FIXTURES
from inprocess import Replay, archive_env, db, make_spider, run

from replay.decp import DecpFiles
from replay.server import Fault
from spiders.items import ContractItem
from spiders.sources.decp import DecpSpider

__all__ = ["archive_env"]  # the fixture, used by name

DECP = FIXTURES / "decp"
FILES = [DECP / "decp_test_2022.json", DECP / "decp_test_2019.json", DECP / "decp_v3_2024_9rows_decp-processing.csv"]
CONFIG = "crawl:\n  retry_times: 2\nsources:\n  decp:\n    enabled: true\n"


@pytest.fixture
def replay(archive_env: Path, monkeypatch: pytest.MonkeyPatch) -> Replay:
    server = Replay()

    def serve(files: DecpFiles) -> None:
        monkeypatch.setenv("WATCH_DECP_URL", json.dumps(files.mount(server)))

    server.serve = serve
    return server


def contracts(crawl: object) -> list[object]:
    return [i.contract for i in crawl.items if isinstance(i, ContractItem)]  # type: ignore[attr-defined]


def test_every_recorded_file_is_read_and_a_rerun_changes_nothing(
    tmp_path: Path, replay: Replay, archive_env: Path
) -> None:
    replay.serve(DecpFiles(FILES))
    crawl = run(make_spider(tmp_path, DecpSpider, CONFIG), replay)
    assert len(contracts(crawl)) == 5 + 2 + 9 and not crawl.quarantined()
    archive = db(archive_env)
    assert archive.execute("select count(*) from contracts").fetchone()[0] == 16
    # co-holders are one contract with several rows in contract_winners
    assert (
        archive.execute("select count(*) from contract_winners where uid = '219740222000192022VI2022.242'").fetchone()[
            0
        ]
        == 2
    )
    run(make_spider(tmp_path, DecpSpider, CONFIG), replay)
    runs = list(archive.query("select outcome, new, unchanged from runs order by id"))
    assert runs == [{"outcome": "ok", "new": 16, "unchanged": 0}, {"outcome": "ok", "new": 0, "unchanged": 16}]
    assert archive.execute("select count(*) from contract_winners").fetchone()[0] == 11 + 3 + 9


def test_a_file_cut_short_is_asked_again_and_a_5xx_is_an_error_of_that_file_only(
    tmp_path: Path, replay: Replay, archive_env: Path
) -> None:
    replay.serve(DecpFiles(FILES))
    replay.add_fault(Fault("decp_test_2022.json", truncate="body", times=1))
    replay.add_fault(Fault("decp_test_2019.json", 503, times=1))
    crawl = run(make_spider(tmp_path, DecpSpider, CONFIG), replay)
    assert sum("decp_test_2022.json" in line for line in replay.log) == 2  # cut, then whole
    assert crawl.stats["retry/reason_count/invalid_body"] == 1
    # the in-process driver has no retry middleware: the 503 reaches the errback and fails that file
    assert [reason for _, reason in crawl.spider.failures] == [
        'http://replay.test/decp/decp_test_2019.json: HTTP 503: \'{"error_code": "InjectedFault"}\''
    ]
    assert db(archive_env).execute("select count(*) from contracts").fetchone()[0] == 5 + 9
    assert db(archive_env).execute("select outcome from runs").fetchone()[0] == "partial"


def test_a_truncated_file_keeps_what_was_read_and_fails_when_retries_are_spent(
    tmp_path: Path, replay: Replay, archive_env: Path
) -> None:
    body = (DECP / "decp_test_2022.json").read_bytes()
    files = DecpFiles([])
    files.add("cut.json", body[: body.index(b'"id": "2019K1209"')])  # three whole records, then a cut
    replay.serve(files)
    crawl = run(make_spider(tmp_path, DecpSpider, CONFIG), replay)
    assert len(replay.log) == 3  # the first reading and two retries
    assert "file truncated or corrupt" in crawl.spider.failures[0][1]
    assert db(archive_env).execute("select count(*) from contracts").fetchone()[0] == 3


def test_bad_records_are_quarantined_and_the_rest_archived(tmp_path: Path, replay: Replay, archive_env: Path) -> None:
    csv_text = (DECP / "decp_v3_2024_9rows_decp-processing.csv").read_text(encoding="utf-8-sig")
    header, *rows = csv_text.splitlines()
    bad_amount = rows[1].replace(";146796.0;", ";-146796.0;")
    no_id = rows[2].replace(";202424FO15-02;", ";;")
    files = DecpFiles([])
    files.add("bad.csv", "\ufeff".join(["", "\n".join([header, rows[0], bad_amount, no_id]) + "\n"]).encode())
    files.add("page.json", b"<html>maintenance</html>")
    replay.serve(files)
    crawl = run(make_spider(tmp_path, DecpSpider, CONFIG), replay)
    archive = db(archive_env)
    assert [q.error for q in crawl.quarantined()] == ["no contract id"]
    kept = archive.execute("select amount, warnings from contracts where id = 'INX 202424 3 001'").fetchone()
    assert kept[0] is None and "amount -146796 is outside 0 to 1e+10 euros: set aside" in kept[1]
    assert archive.execute("select count(*) from quarantine where source = 'decp'").fetchone()[0] == 1
    assert any("page.json: neither DECP JSON nor a known DECP CSV header" in r for _, r in crawl.spider.failures)


def test_from_and_until_keep_the_contracts_notified_in_that_range(tmp_path: Path, replay: Replay) -> None:
    replay.serve(DecpFiles([DECP / "decp_v3_2024_9rows_decp-processing.csv"]))
    spider = make_spider(tmp_path, DecpSpider, CONFIG, from_date="2024-12-01", until_date="2024-12-31")
    crawl = run(spider, replay)
    assert sorted(c.notified.isoformat() for c in contracts(crawl)) == [  # type: ignore[attr-defined]
        "2024-12-05",
        "2024-12-12",
        "2024-12-20",
        "2024-12-31",
        "2024-12-31",
    ]
