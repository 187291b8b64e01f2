"""The BOAMP spider in process: its callbacks against the replay's BOAMP API, the archive around them."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from conftest import all_boamp_records, record
from inprocess import Replay, archive_env, db, make_spider, response_for, run, start_requests

from replay.boamp import BoampDataset, rekeyed
from replay.server import Fault
from spiders.sources.boamp import BoampSpider

__all__ = ["archive_env"]  # the fixture, used by name

ALL_DAYS = {"from_date": "2006-01-01", "until_date": "2026-09-30"}
CONFIG = "crawl:\n  retry_times: 3\n"


@pytest.fixture
def replay(archive_env: Path, monkeypatch: pytest.MonkeyPatch) -> Replay:
    server = Replay()
    server.serve = lambda records: monkeypatch.setenv("WATCH_BOAMP_URL", BoampDataset(records).mount(server))
    return server


def boamp(tmp_path: Path, config: str = CONFIG, **kwargs: str) -> BoampSpider:
    return make_spider(tmp_path, BoampSpider, config, **kwargs)


def test_every_recorded_notice_is_archived_once_and_a_rerun_changes_nothing(
    tmp_path: Path, replay: Replay, archive_env: Path
) -> None:
    records = all_boamp_records()
    replay.serve(records)
    crawl = run(boamp(tmp_path, **ALL_DAYS), replay)
    assert len(crawl.notices()) == len(records) and not crawl.quarantined()
    assert db(archive_env).execute("select count(*) from notices").fetchone()[0] == len(records)
    assert all("order_by=" in line and "limit=100" in line for line in replay.log)  # defined order, API max page
    run(boamp(tmp_path, **ALL_DAYS), replay)
    runs = list(db(archive_env).query("select outcome, new, unchanged from runs order by id"))
    assert runs == [
        {"outcome": "ok", "new": len(records), "unchanged": 0},
        {"outcome": "ok", "new": 0, "unchanged": len(records)},
    ]


def test_pages_are_asked_by_offset_until_the_count(tmp_path: Path, replay: Replay) -> None:
    replay.serve(rekeyed(all_boamp_records(), 250, [date(2026, 4, 1)]))
    spider = boamp(tmp_path, CONFIG + "sources:\n  boamp:\n    page_size: 100\n", **ALL_DAYS)
    crawl = run(spider, replay)
    assert [line.split("offset=")[1] for line in replay.log] == ["0", "100", "200"]
    assert len(crawl.notices()) == 250
    assert [(w.start, w.end, w.records, w.final) for w in crawl.windows()] == [
        (date(2006, 1, 1), date(2026, 9, 30), 250, True)
    ]


def test_the_window_starts_after_the_watermark(tmp_path: Path, replay: Replay, archive_env: Path) -> None:
    replay.serve(all_boamp_records())
    run(boamp(tmp_path, from_date="2026-01-01", until_date="2026-01-31"), replay)
    (mark,) = db(archive_env).execute("select value from watermarks where source = 'boamp'").fetchone()
    assert mark == "2026-01-31"
    spider = boamp(tmp_path)  # no dates: from the day after the watermark (ArchiveState, on spider_opened)
    replay.log.clear()
    run(spider, replay)
    assert spider.from_day == date(2026, 2, 1)
    assert "%3E%3D+date%272026-02-01%27" in replay.log[0]
    assert not any("date%272026-01-31%27" in line for line in replay.log)


def test_a_first_run_reads_the_configured_days_and_today_is_not_final(tmp_path: Path, archive_env: Path) -> None:
    spider = boamp(tmp_path, "sources:\n  boamp:\n    first_run_days: 3\n")
    start_requests(spider)
    assert (spider.until_day - spider.from_day).days == 2
    past, today = spider.windows()
    assert past.final and not today.final and today.start == today.end == spider.until_day


def test_a_day_over_the_api_cap_is_split_by_famille_then_exported(
    tmp_path: Path, replay: Replay, archive_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("spiders.sources.boamp.API_CAP", 100)  # the API's 10,000, scaled down
    monkeypatch.setattr("replay.boamp.MAX_WINDOW", 100)
    day = date(2026, 3, 2)
    mapa = rekeyed([record("26-80528"), record("24-76932")], 102, [day])
    fns = rekeyed([record("26-81190"), record("26-7298")], 18, [day])
    for r in fns:
        r["idweb"] = "F" + r["idweb"]
    replay.serve(mapa + fns)
    crawl = run(boamp(tmp_path, CONFIG + "sources:\n  boamp:\n    page_size: 10\n", from_date="2026-03-01",
                      until_date="2026-03-03"), replay)  # fmt: skip
    assert len({n.source_id for n in crawl.notices()}) == 120
    assert any("/exports/json" in line and "MAPA" in line for line in replay.log)
    assert not any("offset=100" in line for line in replay.log)  # never past the cap
    assert db(archive_env).execute("select value from watermarks").fetchone()[0] == "2026-03-03"


def test_a_truncated_body_is_retried_with_scrapy_retry_stats(tmp_path: Path, replay: Replay) -> None:
    replay.serve(rekeyed(all_boamp_records(), 250, [date(2026, 4, 2)]))
    replay.add_fault(Fault("offset=0", truncate="body", times=1))
    replay.add_fault(Fault("offset=100", truncate="body", times=2))
    crawl = run(boamp(tmp_path, from_date="2026-04-02", until_date="2026-04-02"), replay)
    assert len(crawl.notices()) == 250 and len(crawl.windows()) == 1
    assert crawl.stats["retry/count"] == 3 and crawl.stats["retry/reason_count/invalid_body"] == 3
    assert "retry/max_reached" not in crawl.stats


def test_a_body_still_truncated_after_the_retries_fails_the_window_and_keeps_what_was_read(
    tmp_path: Path, replay: Replay, archive_env: Path
) -> None:
    replay.serve(rekeyed(all_boamp_records(), 250, [date(2026, 4, 2)]))
    replay.add_fault(Fault("offset=200", truncate="body", times=100))
    crawl = run(boamp(tmp_path, from_date="2026-04-02", until_date="2026-04-02"), replay)
    assert sum("offset=200" in line for line in replay.log) == 4  # once, then RETRY_TIMES (3) again
    assert crawl.stats["retry/max_reached"] == 1
    assert not crawl.windows() and "unreadable body" in crawl.spider.failures[0][1]
    archive = db(archive_env)
    assert archive.execute("select count(*) from notices").fetchone()[0] == 200
    assert archive.execute("select count(*) from watermarks").fetchone()[0] == 0


def test_a_window_that_keeps_failing_does_not_move_the_watermark(
    tmp_path: Path, replay: Replay, archive_env: Path
) -> None:
    replay.serve(rekeyed(all_boamp_records(), 250, [date(2026, 4, 3)]))
    replay.add_fault(Fault("offset=200", 500, times=100))  # what RetryMiddleware hands on once it gave up
    crawl = run(boamp(tmp_path, from_date="2026-04-03", until_date="2026-04-03"), replay)
    assert "HTTP 500" in crawl.spider.failures[0][1]
    archive = db(archive_env)
    assert archive.execute("select count(*) from notices").fetchone()[0] == 200  # what was read is kept
    assert archive.execute("select count(*) from watermarks").fetchone()[0] == 0
    assert archive.execute("select outcome, failed_windows from runs").fetchone() == ("partial", 1)


def test_a_refused_query_fails_the_window(tmp_path: Path, replay: Replay) -> None:
    replay.serve(all_boamp_records())
    spider = boamp(tmp_path, from_date="2026-04-03", until_date="2026-04-03")
    (request,) = start_requests(spider)
    body = b'{"error_code": "ODSQLError", "message": "bad where"}'
    assert list(request.callback(response_for(request, body, 400), **request.cb_kwargs)) == []
    assert "API refused the query" in spider.failures[0][1] and request.cb_kwargs["part"].failed


def test_a_count_that_changes_while_paging_is_read_again_next_run(
    tmp_path: Path, replay: Replay, monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset = BoampDataset(rekeyed(all_boamp_records(), 150, [date(2026, 4, 4)]))
    monkeypatch.setenv("WATCH_BOAMP_URL", dataset.mount(replay))
    spider = boamp(tmp_path, from_date="2026-04-04", until_date="2026-04-04")
    (first,) = start_requests(spider)
    answer = replay.answer(first)
    out = list(first.callback(response_for(first, answer.body), **first.cb_kwargs))
    (second,) = [o for o in out if hasattr(o, "callback")]
    dataset.add(rekeyed(all_boamp_records()[:1], 1, [date(2026, 4, 4)]))  # published meanwhile
    out = list(second.callback(response_for(second, replay.answer(second).body), **second.cb_kwargs))
    assert not [o for o in out if type(o).__name__ == "WindowDone"] and second.cb_kwargs["part"].unstable


def test_malformed_records_are_quarantined_and_the_run_goes_on(
    tmp_path: Path, replay: Replay, archive_env: Path
) -> None:
    records = [dict(r) for r in all_boamp_records()]
    records[0]["donnees"] = '{"FNSimple": {"initial": '  # truncated JSON inside the record
    records[1] = {k: v for k, v in records[1].items() if k != "idweb"}
    replay.serve(records)
    crawl = run(boamp(tmp_path, **ALL_DAYS), replay)
    assert len(crawl.notices()) == len(records) - 2
    rows = list(db(archive_env).query("select source_id, error, raw, times_seen from quarantine order by error"))
    assert len(rows) == 2
    assert any("donnees" in r["error"] and r["source_id"] == records[0]["idweb"] for r in rows)
    assert any("no idweb" in r["error"] for r in rows)
    assert all(json.loads(r["raw"]) for r in rows)
    run(boamp(tmp_path, **ALL_DAYS), replay)
    assert db(archive_env).execute("select count(*), sum(times_seen) from quarantine").fetchone() == (2, 4)


def test_a_mapper_bug_quarantines_the_record(tmp_path: Path, archive_env: Path) -> None:
    spider = boamp(tmp_path, from_date="2026-04-03", until_date="2026-04-03")

    def broken(record: dict, raw: str | None = None) -> None:
        raise KeyError("oops")

    (item,) = spider.items_from_records([record("26-7298")], broken, "here", "idweb")
    assert item.source_id == "26-7298" and item.error == "mapper bug: KeyError: 'oops'"


def test_bad_dates_are_refused_before_the_crawl() -> None:
    with pytest.raises(ValueError, match="expected a date"):
        BoampSpider.check_arguments(from_date="2026-13-01")
    with pytest.raises(ValueError, match="after until_date"):
        BoampSpider.check_arguments(from_date="2026-02-01", until_date="2026-01-01")
