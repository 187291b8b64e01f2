"""The APProch spider in process against the replay of the open-data dataset (replay.approch), and one real
`scrapy crawl approch` through the local replay server.

The replayed records are built from the dataset's documented columns (no export of it is stored anywhere): the
real token-API example mapped by `replay.approch.token_api_to_open_data`, and copies of it re-keyed with other
expected days for the paging and the horizon.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import FIXTURES, Watch
from inprocess import Replay, archive_env, db, make_spider, run

from replay.approch import ApprochDataset, load_projects, token_api_example, token_api_to_open_data
from replay.server import Fault, ReplayServer
from spiders.sources.approch import ApprochSpider

__all__ = ["archive_env"]  # the fixture, used by name

CONFIG = "crawl:\n  retry_times: 2\nsources:\n  approch:\n    past_days: 30\n    horizon_days: 365\n"


def projects(n: int = 1, first: date = date(2023, 10, 19)) -> list[dict]:
    (base,) = load_projects([FIXTURES / "approch" / "projets-dachats-publics.json"])
    out = []
    for i in range(n):
        r = dict(base)
        r["code"] = base["code"] if i == 0 else f"{base['code']}{i:04d}"
        r["date_previsionnelle_de_publication"] = (first + timedelta(days=i % 300)).isoformat()
        out.append(r)
    return out


@pytest.fixture
def replay(archive_env: Path, monkeypatch: pytest.MonkeyPatch) -> Replay:
    server = Replay()
    server.serve = lambda records: monkeypatch.setenv("WATCH_APPROCH_URL", ApprochDataset(records).mount(server))
    return server


def approch(tmp_path: Path, config: str = CONFIG, **kwargs: str) -> ApprochSpider:
    return make_spider(tmp_path, ApprochSpider, config, **kwargs)


def test_the_recorded_record_is_the_token_api_example_in_open_data_columns() -> None:
    example = token_api_example(FIXTURES / "approch" / "api_marche_approch_example.txt")
    assert [token_api_to_open_data(example)] == load_projects([FIXTURES / "approch"])


def test_the_horizon_is_read_whole_each_run_and_a_rerun_changes_nothing(
    tmp_path: Path, replay: Replay, archive_env: Path
) -> None:
    replay.serve(projects(250))
    args = {"from_date": "2023-10-01", "until_date": "2023-10-31"}
    crawl = run(approch(tmp_path, **args), replay)
    assert len(crawl.notices()) == 250 and not crawl.quarantined()
    assert all("date_previsionnelle_de_publication" in line and "limit=100" in line for line in replay.log)
    (window,) = crawl.windows()
    assert (window.start, window.end, window.final) == (date(2023, 9, 1), date(2024, 10, 30), False)
    notice = (
        db(archive_env)
        .execute("select kind, expected_publication, value_band, buyer_siret from notices where source_id = '13929'")
        .fetchone()
    )
    assert notice == ("prior_information", "2023-10-19", "100k - 500k€", "217500016")
    run(approch(tmp_path, **args), replay)
    runs = list(db(archive_env).query("select outcome, new, unchanged from runs order by id"))
    assert runs[-1] == {"outcome": "ok", "new": 0, "unchanged": 250}
    assert db(archive_env).execute("select count(*) from watermarks where source = 'approch'").fetchone()[0] == 0


def test_a_bad_record_is_quarantined_and_the_rest_archived(tmp_path: Path, replay: Replay) -> None:
    records = projects(3)
    records[1]["code"] = None
    replay.serve(records)
    crawl = run(approch(tmp_path, from_date="2023-10-19", until_date="2023-10-19"), replay)
    assert len(crawl.notices()) == 2 and len(crawl.quarantined()) == 1
    assert "no project code" in crawl.quarantined()[0].error


def test_a_failing_api_fails_the_run(tmp_path: Path, replay: Replay, archive_env: Path) -> None:
    replay.serve(projects(3))
    replay.add_fault(Fault("/records", status=503, times=10))
    run(approch(tmp_path, from_date="2023-10-19"), replay)
    (outcome,) = db(archive_env).execute("select outcome from runs").fetchone()
    assert outcome in ("failed", "partial")


def test_scrapy_crawl_approch_through_the_replay_server(watch: Watch) -> None:
    with ReplayServer() as server:
        watch.env["WATCH_APPROCH_URL"] = ApprochDataset(projects(5)).mount(server)
        proc = watch.run("crawl", "approch", "--from", "2023-10-01", "--until", "2023-10-31")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert watch.count("select count(*) from notices where source = 'approch'") == 5
    row = json.loads(watch.run("stats", "--json").stdout)["by_source"]
    assert row == {"approch": 5}
