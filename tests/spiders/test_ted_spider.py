"""The TED spider in process: its callbacks against the replay of the Search API and the notice XML."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FIXTURES, ted_corpus
from inprocess import Replay, archive_env, db, make_spider, response_for, run, start_requests

from replay.server import Fault
from replay.ted import TedDataset
from spiders.sources.ted import TedSpider

__all__ = ["archive_env"]  # the fixture, used by name

WINDOW = {"from_date": "2019-01-01", "until_date": "2026-09-30"}
CONFIG = "crawl:\n  retry_times: 3\nsources:\n  ted:\n    delay: 0\n    page_size: 5\n"


@pytest.fixture
def corpus() -> tuple[list[dict], dict[str, bytes]]:
    return ted_corpus()


@pytest.fixture
def dataset(archive_env: Path, corpus: tuple, monkeypatch: pytest.MonkeyPatch) -> TedDataset:
    notices, xml = corpus
    enum = set((FIXTURES / "ted" / "search-api-v3-fields-enum.txt").read_text().split())
    data = TedDataset(notices, xml, known_fields=enum)
    data.replay = Replay()
    monkeypatch.setenv("WATCH_TED_URL", data.mount(data.replay))
    monkeypatch.setenv("WATCH_TED_SCOPE", "")  # the recorded notices come from several countries
    monkeypatch.setenv("WATCH_TED_NOTICE_TYPES", "")
    return data


def ted(tmp_path: Path, config: str = CONFIG) -> TedSpider:
    return make_spider(tmp_path, TedSpider, config, **WINDOW)


def dated(notices: list[dict]) -> list[dict]:
    return [n for n in notices if n.get("publication-date")]


def test_pages_follow_tokens_xml_is_fetched_and_a_rerun_duplicates_nothing(
    tmp_path: Path, dataset: TedDataset, archive_env: Path
) -> None:
    crawl = run(ted(tmp_path), dataset.replay)
    expected = len(dated(dataset.notices))
    assert len(crawl.notices()) == expected and not crawl.spider.failures
    searches = [line for line in dataset.replay.log if "/v3/notices/search" in line]
    assert len(searches) == -(-expected // 5)  # every page once, no page after the last one
    assert sum("/xml" in line for line in dataset.replay.log) == expected
    archive = db(archive_env)
    row = archive["notices"].get(("ted", "900008-2019"))  # an eForms example: detail from its XML
    assert json.loads(row["lots"]) and row["deadline"] == "2019-06-24T16:00:00+00:00"
    row = archive["notices"].get(("ted", "626146-2026"))  # no XML recorded (404): from the search fields
    assert row["buyer_siret"] == "13001535700010" and json.loads(row["lots"]) == []
    assert archive.execute("select value from watermarks where source = 'ted'").fetchone()[0] == "2026-09-30"
    run(ted(tmp_path), dataset.replay)
    last = archive.execute("select new, updated, unchanged from runs order by id desc").fetchone()
    assert last == (0, 0, expected)


def test_the_query_carries_scope_types_and_the_window(tmp_path: Path, archive_env: Path) -> None:
    spider = make_spider(tmp_path, TedSpider, "sources:\n  ted:\n    notice_types: [cn-standard]\n", **WINDOW)
    (request,) = start_requests(spider)
    body = json.loads(request.body)
    assert body["query"] == (
        "(buyer-country IN (FRA) OR place-of-performance IN (FRA)) AND notice-type IN (cn-standard) AND "
        "publication-date>=20190101 AND publication-date<=20260930 SORT BY publication-number"
    )
    assert body["paginationMode"] == "ITERATION" and body["limit"] * len(body["fields"]) <= 10_000


def test_timed_out_pages_are_asked_again_through_scrapy_retries(tmp_path: Path, dataset: TedDataset) -> None:
    dataset.timeouts = 2
    crawl = run(ted(tmp_path), dataset.replay)
    assert len(crawl.notices()) == len(dated(dataset.notices))
    assert crawl.stats["retry/reason_count/timed_out"] == 2


def test_a_search_that_keeps_timing_out_fails_the_window(
    tmp_path: Path, dataset: TedDataset, archive_env: Path
) -> None:
    dataset.timeouts = 100
    crawl = run(ted(tmp_path), dataset.replay)
    assert "search timed out" in crawl.spider.failures[0][1] and crawl.stats["retry/max_reached"] == 1
    assert db(archive_env).execute("select count(*) from watermarks").fetchone()[0] == 0


def test_a_truncated_xml_is_retried_then_the_notice_kept_from_its_search_fields(
    tmp_path: Path, dataset: TedDataset
) -> None:
    dataset.replay.add_fault(Fault("/en/notice/900008-2019/xml", truncate="body", times=1))
    dataset.replay.add_fault(Fault("/en/notice/900007-2019/xml", truncate="body", times=100))
    crawl = run(ted(tmp_path), dataset.replay)
    notices = {n.source_id: n for n in crawl.notices()}
    assert len(notices) == len(dated(dataset.notices)) and not crawl.spider.failures
    assert notices["900008-2019"].lots  # read on the second attempt
    assert not notices["900007-2019"].lots  # never readable: archived from the search fields, not lost
    assert crawl.stats["retry/reason_count/invalid_xml"] == 1 + 3


def test_a_refused_query_fails_the_window(tmp_path: Path, dataset: TedDataset, monkeypatch) -> None:
    monkeypatch.setenv("WATCH_TED_SCOPE", "buyer-country IN (FRA")  # broken expert query
    crawl = run(ted(tmp_path), dataset.replay)
    assert "QUERY_SYNTAX_ERROR" in crawl.spider.failures[0][1] and not crawl.windows()


def test_non_procurement_notices_are_skipped(tmp_path: Path, archive_env: Path) -> None:
    spider = ted(tmp_path)
    (request,) = start_requests(spider)
    page = {"notices": [{"publication-number": "1-2026", "notice-type": "brin-ecs"}], "totalNoticeCount": 1}
    out = list(request.callback(response_for(request, json.dumps(page).encode()), **request.cb_kwargs))
    assert [type(o).__name__ for o in out] == ["WindowDone"]  # nothing fetched, nothing archived, window done
