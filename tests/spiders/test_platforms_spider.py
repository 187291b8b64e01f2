"""Buyer platform spiders in process: recorded feeds and pages, served by the replay, the archive around them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FIXTURES, record
from inprocess import Replay, archive_env, db, make_spider, run

from replay.platforms import StaticSite, recorded_platforms
from spiders.sources.atexo import AtexoSpider
from spiders.sources.feeds import FeedsSpider
from spiders.sources.sites import SitesSpider

__all__ = ["archive_env"]  # the fixture, used by name

CONFIG = "platforms:\n  delay: 0\n  atexo: []\n"
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


@pytest.fixture
def replay(archive_env: Path) -> Replay:
    return Replay()


@pytest.fixture
def platforms(replay: Replay, monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    conf = recorded_platforms(replay, FIXTURES / "buyers")
    monkeypatch.setenv("WATCH_PLATFORMS_ATEXO", json.dumps(conf))
    return conf


@pytest.fixture
def site(replay: Replay, monkeypatch: pytest.MonkeyPatch) -> dict:
    url = StaticSite(FIXTURES / "sites").mount(replay, "/site") + "/list-1.html"
    monkeypatch.setenv("WATCH_PLATFORMS_SITES", json.dumps([dict(SITE, url=url)]))
    return dict(SITE, url=url)


def notices(archive: Path) -> dict[str, dict]:
    return {r["source_id"]: r for r in db(archive).query("select * from notices")}


def test_atexo_feed_then_each_consultation_page(
    tmp_path: Path, platforms: list[dict], replay: Replay, archive_env: Path
) -> None:
    crawl = run(make_spider(tmp_path, AtexoSpider, "platforms:\n  delay: 0\n"), replay)
    assert not crawl.spider.failures
    rows = notices(archive_env)
    assert set(rows) == {"803968", "624658", "625646", "625746"}
    place = rows["625646"]
    assert place["source"] == "place" and place["reference"] == "2020_PFRA_GE_CRA_CONT"
    assert place["deadline"] == "2020-09-16T12:00:00+02:00" and json.loads(place["cpv"]) == ["79110000"]
    assert place["buyer_name"] == "SGARE PFRA - Grand Est"
    assert json.loads(rows["803968"]["departements"]) == ["78"]  # from the feed: its page (404) is not recorded
    assert sum("refConsultation=" in line for line in replay.log) == 4
    health = set(db(archive_env).execute("select source, metric, value from source_health").fetchall())
    assert health == {("maximilien", "feed items", 1), ("place", "feed items", 3)}
    run(make_spider(tmp_path, AtexoSpider, "platforms:\n  delay: 0\n"), replay)
    last = db(archive_env).execute("select new, updated, unchanged from runs order by id desc").fetchone()
    assert last == (0, 0, 4)


def test_only_the_followed_buyers(
    tmp_path: Path, platforms: list[dict], replay: Replay, archive_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WATCH_PLATFORMS_ATEXO", json.dumps([dict(p, buyers=["g6l"]) for p in platforms]))
    run(make_spider(tmp_path, AtexoSpider, "platforms:\n  delay: 0\n"), replay)
    assert list(notices(archive_env)) == ["625646"]


def test_page_spiders_are_polite(tmp_path: Path, archive_env: Path) -> None:
    spider = make_spider(tmp_path, SitesSpider, "platforms:\n  delay: 2.5\ncrawl:\n  user_agent: watch (x@y.z)\n")
    settings = spider.settings
    assert settings.getbool("ROBOTSTXT_OBEY") and settings.getbool("AUTOTHROTTLE_ENABLED")
    assert settings.getfloat("DOWNLOAD_DELAY") == 2.5 and settings.get("USER_AGENT") == "watch (x@y.z)"
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 2  # the spider's own setting wins


def test_generic_site_two_pages_and_details(tmp_path: Path, site: dict, replay: Replay, archive_env: Path) -> None:
    crawl = run(make_spider(tmp_path, SitesSpider, CONFIG), replay)
    assert not crawl.spider.failures
    rows = notices(archive_env)
    assert set(rows) == {"2026-017", "2026-018", "2026-019"}
    assert rows["2026-017"]["deadline"] == "2026-06-19T12:00:00+02:00"
    assert rows["2026-018"]["deadline"] == "2026-06-26T12:00:00+02:00"
    assert rows["2026-019"]["deadline"] is None  # "aujourd'hui": rejected, not guessed
    assert rows["2026-017"]["description"].startswith("Objet détaillé")
    assert json.loads(rows["2026-017"]["cpv"]) == ["77310000"]
    assert json.loads(rows["2026-018"]["departements"]) == ["93"]
    assert any("list-2.html" in line for line in replay.log)


def test_a_detail_page_not_had_keeps_the_item_from_the_listing(
    tmp_path: Path, site: dict, replay: Replay, archive_env: Path
) -> None:
    replay.disallow = ("/site/avis/",)  # robots.txt forbids the detail pages
    crawl = run(make_spider(tmp_path, SitesSpider, CONFIG), replay)
    assert not crawl.spider.failures
    assert not any("/site/avis/" in line for line in replay.log)  # never fetched
    rows = notices(archive_env)
    assert len(rows) == 3 and rows["2026-017"]["description"] is None


def test_a_broken_selector_is_a_reported_failure(
    tmp_path: Path, site: dict, replay: Replay, archive_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert not run(make_spider(tmp_path, SitesSpider, CONFIG), replay).spider.failures
    # the site changed its layout: the item selector now matches nothing
    monkeypatch.setenv("WATCH_PLATFORMS_SITES", json.dumps([dict(site, item="div.consultation")]))
    crawl = run(make_spider(tmp_path, SitesSpider, CONFIG), replay)
    assert "returned no item (it had 2 last time)" in crawl.spider.failures[0][1]
    # a field selector matching nothing on most items
    monkeypatch.setenv("WATCH_PLATFORMS_SITES", json.dumps([dict(site, title="h2.titre::text")]))
    crawl = run(make_spider(tmp_path, SitesSpider, CONFIG), replay)
    assert "the title selector found nothing on 3 of 3 items" in crawl.spider.failures[0][1]
    archive = db(archive_env)
    assert archive.execute("select outcome from runs order by id desc").fetchone()[0] == "partial"
    assert archive.execute("select count(*) from quarantine where error like '%without a title%'").fetchone()[0] == 3


def test_a_buyer_feed_gives_a_notice_per_entry(
    tmp_path: Path, platforms: list[dict], replay: Replay, archive_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed = {"name": "maxifeed", "url": platforms[0]["url"] + "/rssCS.xml", "buyer": "Ville de Paris"}
    monkeypatch.setenv("WATCH_PLATFORMS_FEEDS", json.dumps([feed]))
    crawl = run(make_spider(tmp_path, FeedsSpider, CONFIG), replay)
    assert not crawl.spider.failures and len(crawl.notices()) == 1
    assert notices(archive_env) and crawl.notices()[0].source == "maxifeed"


def test_platform_consultation_joins_its_boamp_twin(tmp_path: Path) -> None:
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
