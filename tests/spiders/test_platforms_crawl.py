"""Buyer platform spiders, crawled for real against recorded and locally served pages."""

from __future__ import annotations

import json

import pytest
from conftest import FIXTURES, Watch, record

from replay.platforms import StaticSite, recorded_platforms, serve_robots
from replay.server import ReplayServer

SITE = {
    "name": "montreuil",
    "item": "div.box",
    "title": "div.box-header-title a::text",
    "link": "div.box-header-title a::attr(href)",
    "deadline": "span.pink::text",
    "reference": "span.ref::text",
    "buyer": "div.box-body-top > span::text",
    "place": "div.col1 p:first-child::text",
    "next": "a.suivant::attr(href)",
    "detail": {"description": "div.objet", "cpv": "//div[@class='cpv']"},
}


def crawl(watch: Watch, spider: str) -> tuple[int, str]:
    proc = watch.run("crawl", spider)
    return proc.returncode, proc.stderr


@pytest.fixture
def platforms(replay: ReplayServer, watch: Watch) -> list[dict]:
    conf = recorded_platforms(replay, FIXTURES / "buyers")
    watch.env["WATCH_PLATFORMS_ATEXO"] = json.dumps(conf)
    watch.write_config(f"platforms:\n  delay: 0\nlogging:\n  file: {watch.tmp / 'l.log'}\n")
    return conf


def test_atexo_feed_and_pages(platforms: list[dict], watch: Watch, replay: ReplayServer) -> None:
    code, log = crawl(watch, "atexo")
    assert code == 0, log[-2000:]
    db = watch.db()
    rows = {r["source_id"]: r for r in db.query("select * from notices")}
    assert set(rows) == {"803968", "624658", "625646", "625746"}
    place = rows["625646"]
    assert place["source"] == "place" and place["reference"] == "2020_PFRA_GE_CRA_CONT"
    assert place["deadline"] == "2020-09-16T12:00:00+02:00" and json.loads(place["cpv"]) == ["79110000"]
    assert place["buyer_name"] == "SGARE PFRA - Grand Est"
    assert json.loads(rows["803968"]["departements"]) == ["78"]  # from the feed: its page is not recorded
    assert any("robots.txt" in line for line in replay.log)
    code, log = crawl(watch, "atexo")
    assert "0 new, 0 updated, 4 unchanged" in log


def test_followed_buyers_only(platforms: list[dict], watch: Watch) -> None:
    for p in platforms:
        p["buyers"] = ["g6l"]
    watch.env["WATCH_PLATFORMS_ATEXO"] = json.dumps(platforms)
    assert crawl(watch, "atexo")[0] == 0
    assert [r[0] for r in watch.db().execute("select source_id from notices")] == ["625646"]


def test_generic_site_two_pages_and_details(replay: ReplayServer, watch: Watch) -> None:
    serve_robots(replay)
    site = dict(SITE, url=StaticSite(FIXTURES / "sites").mount(replay, "/site") + "/list-1.html")
    watch.env["WATCH_PLATFORMS_SITES"] = json.dumps([site])
    watch.write_config(f"platforms:\n  delay: 0\n  atexo: []\nlogging:\n  file: {watch.tmp / 'l.log'}\n")
    code, log = crawl(watch, "sites")
    assert code == 0, log[-2000:]
    rows = {r["source_id"]: r for r in watch.db().query("select * from notices")}
    assert set(rows) == {"2026-017", "2026-018", "2026-019"}
    assert rows["2026-017"]["deadline"] == "2026-06-19T12:00:00+02:00"
    assert rows["2026-018"]["deadline"] == "2026-06-26T12:00:00+02:00"
    assert rows["2026-019"]["deadline"] is None  # "aujourd'hui": rejected, not guessed
    assert rows["2026-017"]["description"].startswith("Objet détaillé") and json.loads(rows["2026-017"]["cpv"]) == [
        "77310000"
    ]
    assert json.loads(rows["2026-018"]["departements"]) == ["93"]


def test_robots_txt_disallow_is_honoured(replay: ReplayServer, watch: Watch) -> None:
    serve_robots(replay, "User-agent: *\nDisallow: /site/avis/\n")
    site = dict(SITE, url=StaticSite(FIXTURES / "sites").mount(replay, "/site") + "/list-1.html")
    watch.env["WATCH_PLATFORMS_SITES"] = json.dumps([site])
    watch.write_config(f"platforms:\n  delay: 0\n  atexo: []\nlogging:\n  file: {watch.tmp / 'l.log'}\n")
    code, log = crawl(watch, "sites")
    assert code == 0, log[-2000:]
    assert not any("/site/avis/" in line for line in replay.log)  # never fetched
    assert watch.count() == 3  # kept as the listing describes them
    assert watch.db().execute("select description from notices where source_id = '2026-017'").fetchone()[0] is None


def test_a_broken_selector_is_a_reported_failure(replay: ReplayServer, watch: Watch) -> None:
    serve_robots(replay)
    url = StaticSite(FIXTURES / "sites").mount(replay, "/site") + "/list-1.html"
    watch.write_config(f"platforms:\n  delay: 0\n  atexo: []\nlogging:\n  file: {watch.tmp / 'l.log'}\n")
    watch.env["WATCH_PLATFORMS_SITES"] = json.dumps([dict(SITE, url=url)])
    assert crawl(watch, "sites")[0] == 0
    # the site changed its layout: the item selector now matches nothing
    watch.env["WATCH_PLATFORMS_SITES"] = json.dumps([dict(SITE, url=url, item="div.consultation")])
    code, log = crawl(watch, "sites")
    assert code == 1 and "returned no item (it had 2 last time)" in log
    # a field selector matching nothing on most items
    watch.env["WATCH_PLATFORMS_SITES"] = json.dumps([dict(SITE, url=url, title="h2.titre::text")])
    code, log = crawl(watch, "sites")
    assert code == 1 and "the title selector found nothing on 3 of 3 items" in log
    status = watch.db().execute("select outcome from runs order by id desc limit 1").fetchone()[0]
    assert status == "partial"  # items were read, but without titles: quarantined, and the run says so
    assert watch.count("select count(*) from quarantine where error like '%without a title%'") == 3


def test_platform_consultation_joins_its_boamp_twin(tmp_path) -> None:
    from archive.db import open_db
    from archive.procedures import procedure_of, rebuild
    from archive.store import Archive
    from notices.boamp import parse_record
    from notices.model import Buyer, Notice

    a = Archive(open_db(tmp_path / "t.db"))
    boamp = parse_record(record("26-7298"))  # identifiantInterne 2026_TX_AMENAGEMENTS
    same_ref = Notice(
        "marchespublics596280",
        "581998",
        title="Aménagements intérieurs et extérieurs",
        buyer=Buyer("Commune de La Madeleine"),
        reference="2026_TX_AMENAGEMENTS",
        kind="contract_notice",
        published=boamp.published,
    )
    a.upsert_notices([boamp, same_ref])
    rebuild(a.db)
    assert procedure_of(a.db, "boamp", "26-7298")["id"] == procedure_of(a.db, "marchespublics596280", "581998")["id"]
    how = a.db.execute("select linked_by from procedure_notices where source_id = '581998'").fetchone()[0]
    assert how == "same reference"
