"""The DECP replay: recorded files served as data.gouv.fr serves resources, and mounted by the demo."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from conftest import FIXTURES

from replay.decp import DecpFiles
from replay.server import ReplayServer


def test_files_are_served_whole_with_their_type_and_name_and_unknown_ones_are_404() -> None:
    path = FIXTURES / "decp" / "decp_v3_2024_9rows_decp-processing.csv"
    with ReplayServer() as server:
        (url,) = [u for u in DecpFiles([FIXTURES / "decp"]).mount(server) if u.endswith(".csv")]
        with urllib.request.urlopen(url) as response:
            assert response.read() == path.read_bytes()
            assert response.headers["Content-Type"].startswith("text/csv")
            assert path.name in response.headers["Content-Disposition"]
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"{server.url}/decp/nothing.json")
        assert missing.value.code == 404


def test_the_demo_replays_the_recorded_decp_files() -> None:
    from watch.demo import CORPUS, mount_recorded

    with ReplayServer() as server:
        env, summary = mount_recorded(server)
    urls = json.loads(env["WATCH_DECP_URL"])
    assert sorted(u.rsplit("/", 1)[1] for u in urls) == sorted(
        p.name for p in (CORPUS / "decp").iterdir() if p.suffix in (".json", ".csv")
    )
    assert "3 DECP files" in summary and "WATCH_DECP_ENABLED" not in env  # crawled once, after the windows
