"""The TED spider, run for real against the replay of the Search API and the notice XML."""

from __future__ import annotations

import json

from conftest import Watch, serve_ted, ted_corpus

from replay.server import Fault, ReplayServer

WINDOW = ["--from", "2019-01-01", "--until", "2026-09-30"]


def crawl(watch: Watch, *args: str) -> str:
    proc = watch.run("crawl", "ted", *args)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stderr


def test_crawl_pages_with_tokens_fetches_xml_and_a_rerun_duplicates_nothing(replay: ReplayServer, watch: Watch) -> None:
    notices, xml = ted_corpus()
    serve_ted(replay, watch, notices, xml)
    watch.write_config(f"sources:\n  ted:\n    page_size: 5\n    delay: 0\nlogging:\n  file: {watch.tmp / 'l.log'}\n")
    crawl(watch, *WINDOW)
    dated = [n for n in notices if n.get("publication-date")]
    assert watch.count("select count(*) from notices where source = 'ted'") == len(dated)
    searches = [line for line in replay.log if "/v3/notices/search" in line]
    assert len(searches) == -(-len(dated) // 5)  # every page once, no page after the last one
    assert sum("/xml" in line for line in replay.log) == len(dated)
    db = watch.db()
    row = db["notices"].get(("ted", "900008-2019"))  # an eForms example: detail from its XML
    assert json.loads(row["lots"]) and row["deadline"] == "2019-06-24T16:00:00+00:00"
    row = db["notices"].get(("ted", "626146-2026"))  # no XML recorded: archived from the search fields
    assert row["buyer_siret"] == "13001535700010" and json.loads(row["lots"]) == []
    log = crawl(watch, *WINDOW)
    assert f"0 new, 0 updated, {len(dated)} unchanged" in log


def test_timed_out_pages_and_429_are_asked_again(replay: ReplayServer, watch: Watch) -> None:
    notices, xml = ted_corpus()
    dataset = serve_ted(replay, watch, notices, xml)
    watch.write_config(f"sources:\n  ted:\n    delay: 0\nlogging:\n  file: {watch.tmp / 'l.log'}\n")
    dataset.timeouts = 2
    replay.add_fault(Fault("/en/notice/900008-2019/xml", 429, times=1, retry_after="1"))
    log = crawl(watch, *WINDOW)
    assert "timed out" in log
    assert watch.count("select count(*) from notices where source = 'ted'") == len(
        [n for n in notices if n.get("publication-date")]
    )
    row = watch.db()["notices"].get(("ted", "900008-2019"))
    assert json.loads(row["lots"])  # the XML was fetched after the 429


def test_a_refused_query_fails_the_window(replay: ReplayServer, watch: Watch) -> None:
    notices, xml = ted_corpus()
    serve_ted(replay, watch, notices, xml)
    watch.env["WATCH_TED_SCOPE"] = "buyer-country IN (FRA"  # broken expert query
    proc = watch.run("crawl", "ted", *WINDOW)
    assert proc.returncode == 1 and "QUERY_SYNTAX_ERROR" in proc.stderr
    assert watch.count("select count(*) from watermarks") == 0
