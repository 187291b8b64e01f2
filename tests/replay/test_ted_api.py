"""The replay server answers like the TED Search API v3."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from conftest import ted_corpus

from replay.server import ReplayServer
from replay.ted import TedDataset
from replay.tedq import TedQueryError, compile_query


def search(base: str, body: dict) -> tuple[int, dict]:
    req = urllib.request.Request(
        f"{base}/v3/notices/search", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.fixture
def api(replay: ReplayServer) -> str:
    notices, xml = ted_corpus()
    return TedDataset(notices, xml).mount(replay)


def test_limits_are_enforced(api: str) -> None:
    assert search(api, {"query": "buyer-country IN (FRA)", "fields": ["publication-number"], "limit": 251})[0] == 400
    status, body = search(api, {"query": "buyer-country IN (FRA)", "fields": ["a"] * 41, "limit": 250})
    assert status == 400 and "10000" in body["message"]
    status, body = search(api, {"query": "x = 1", "fields": ["publication-number"], "sortField": "x"})
    assert status == 400 and "Unrecognized field" in body["message"]


def test_iteration_tokens_page_through_and_one_comes_back_after_the_last_page(api: str) -> None:
    body = {
        "query": "buyer-country IN (FRA) SORT BY publication-number",
        "fields": ["publication-number"],
        "limit": 2,
        "paginationMode": "ITERATION",
    }
    seen, token, pages = [], None, 0
    while True:
        status, page = search(api, {**body, **({"iterationNextToken": token} if token else {})})
        assert status == 200
        pages += 1
        if not page["notices"]:
            assert page["iterationNextToken"]  # the stale token a client must not follow forever
            break
        seen += [n["publication-number"] for n in page["notices"]]
        token = page["iterationNextToken"]
    assert len(seen) == len(set(seen)) == page["totalNoticeCount"]
    assert seen == sorted(seen)


def test_xml_links_point_at_the_replay(api: str) -> None:
    status, page = search(api, {"query": "notice-type IN (cn-standard)", "fields": ["publication-number", "links"]})
    links = [n["links"]["xml"]["MUL"] for n in page["notices"]]
    assert all(link.startswith(api) for link in links)
    with urllib.request.urlopen(next(link for link in links if "900008" in link)) as resp:
        assert resp.read().startswith(b"<?xml")


def test_query_subset() -> None:
    pred, sort, desc = compile_query(
        "(buyer-country IN (FRA) OR place-of-performance IN (FR1*)) AND publication-date>=20260911 SORT BY x DESC"
    )
    assert pred({"buyer-country": ["FRA"], "publication-date": "2026-09-11+02:00"})
    assert pred({"place-of-performance": ["FR101"], "publication-date": "2026-09-12Z"})
    assert not pred({"buyer-country": ["DEU"], "publication-date": "2026-09-12Z"})
    assert not pred({"buyer-country": ["FRA"], "publication-date": "2026-09-10+02:00"})
    assert (sort, desc) == ("x", True)
    with pytest.raises(TedQueryError):
        compile_query("buyer-country IN (FRA")
