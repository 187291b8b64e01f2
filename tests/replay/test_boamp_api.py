"""The replay server answers like the BOAMP Explore v2.1 API."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from urllib.parse import urlencode

import pytest
from conftest import all_boamp_records

from replay.boamp import BoampDataset, rekeyed
from replay.odsql import ODSQLError, compile_where
from replay.server import Fault, ReplayServer


def get(url: str) -> tuple[int, dict | list]:
    try:
        with urllib.request.urlopen(url) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.fixture
def api(replay: ReplayServer) -> str:
    return BoampDataset(all_boamp_records()).mount(replay)


def test_where_order_limit_offset(api: str) -> None:
    q = {"where": "dateparution >= date'2026-01-01' and famille = \"FNS\"", "order_by": "idweb desc", "limit": 2}
    status, body = get(f"{api}/records?{urlencode(q)}")
    assert status == 200 and body["total_count"] == 4
    assert [r["idweb"] for r in body["results"]] == ["26-81190", "26-7308"]
    status, body = get(f"{api}/records?{urlencode({**q, 'offset': 2})}")
    assert [r["idweb"] for r in body["results"]] == ["26-7298", "26-7109"]


def test_list_fields_match_any_element(api: str) -> None:
    query = urlencode({"where": 'code_departement = "61"', "limit": 10})
    status, body = get(f"{api}/records?{query}")
    assert [r["idweb"] for r in body["results"]] == ["26-7308"]


def test_caps_are_enforced_with_the_api_messages(api: str) -> None:
    status, body = get(f"{api}/records?limit=101")
    assert status == 400 and "limit" in body["message"]
    status, body = get(f"{api}/records?limit=100&offset=9901")
    assert status == 400 and "offset + limit" in body["message"] and "10000" in body["message"]


def test_bad_where_is_a_400(api: str) -> None:
    query = urlencode({"where": 'contains(objet, "x")'})
    status, body = get(f"{api}/records?{query}")
    assert status == 400 and "ODSQL" in body["message"]


def test_export_has_no_cap(replay: ReplayServer) -> None:
    from datetime import date

    api = BoampDataset(rekeyed(all_boamp_records()[:3], 10_050, [date(2026, 1, 1)])).mount(replay)
    query = urlencode({"where": "dateparution = date'2026-01-01'"})
    status, body = get(f"{api}/exports/json?{query}")
    assert status == 200 and len(body) == 10_050 and len({r["idweb"] for r in body}) == 10_050


def test_injected_faults_are_served_the_given_number_of_times(api: str, replay: ReplayServer) -> None:
    replay.add_fault(Fault("records", 429, times=1, retry_after="3"))
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(f"{api}/records")
    assert err.value.code == 429 and err.value.headers["Retry-After"] == "3"
    assert get(f"{api}/records")[0] == 200


def test_odsql_null_and_not() -> None:
    pred = compile_where('famille is null or not (famille = "JOUE" or famille = "FNS")')
    assert pred({"famille": None}) and pred({"famille": "MAPA"}) and not pred({"famille": "JOUE"})
    with pytest.raises(ODSQLError):
        compile_where("famille = ")
