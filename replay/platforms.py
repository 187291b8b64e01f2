"""Buyer platforms replayed: Atexo feeds and consultation pages, and any static site, under a path prefix.

The recorded Maximilien feed item is served in an RSS channel as `<prefix>/rssCS.xml`. The recorded PLACE
consultation pages are served where the spider asks for them (`index.php?...&refConsultation=<id>`), and,
PLACE's feed not being recorded, `<prefix>/rssTr.xml` lists them with items derived from the pages' own
recap blocks (title, buyer, deadline, CPV, places; read here with plain lxml, not with the watch's parser),
as the real feed would. `/robots.txt` is served at the
root with the rules a test sets.
"""

from __future__ import annotations

import re
from datetime import datetime
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from lxml import html as lxml_html

from replay.server import ReplayServer, Request, Response

RSS_HEAD = b'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>Consultations</title>\n'
RSS_TAIL = b"\n</channel></rss>\n"


def rss(items: list[bytes]) -> bytes:
    return RSS_HEAD + b"\n".join(items) + RSS_TAIL


RECAP = (
    "dateHeureLimiteRemisePlis",
    "reference",
    "intitule",
    "objet",
    "entitePublique",
    "categoriePrincipale",
    "idAtexoRef_scriptRef",
    "lieuxExecutions",
)
PARIS = ZoneInfo("Europe/Paris")


def recap(page: bytes) -> dict[str, str]:
    """The recap block of a recorded Atexo page, by element id suffix (the replay's own reading, independent
    of the watch's parser in notices/platforms.py)."""
    doc = lxml_html.fromstring(page.decode("utf-8", errors="replace"))
    out: dict[str, str] = {}
    for el in doc.xpath("//*[starts-with(@id, 'ctl0_CONTENU_PAGE_')]"):
        for name in RECAP:
            text = " ".join(el.text_content().split())
            if el.get("id").endswith("_" + name) and name not in out and text:
                out[name] = text
    return out


def deadline(text: str | None) -> datetime | None:
    """Atexo's "16/09/2020 12:00" (Paris time)."""
    m = re.search(r"(\d{2})/(\d{2})/(\d{4})\s+(\d{1,2})[:h](\d{2})", text or "")
    if not m:
        return None
    day, month, year, hour, minute = map(int, m.groups())
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


def item_from_page(page: bytes, public_url: str) -> tuple[str, str, bytes]:
    """(refConsultation, orgAcronyme, RSS item) of a recorded Atexo consultation page."""
    text = page.decode("utf-8", errors="replace")
    ref = re.search(r"refConsultation=(\d+)", text).group(1)  # type: ignore[union-attr]
    org = re.search(r"orgAcronyme=([\w-]+)", text).group(1)  # type: ignore[union-attr]
    f = recap(page)
    limit = deadline(f.get("dateHeureLimiteRemisePlis"))
    depts = ",".join(re.findall(r"\((\d{2,3}|2[AB])\)", f.get("lieuxExecutions", "")))

    def cat(domain: str, value: str | None) -> str:
        return f'<category domain="{domain}">{escape(value or "")}</category>'

    item = "".join(
        [
            "<item>",
            f"<title>{escape(f.get('intitule', ''))}</title>",
            f"<link>{escape(public_url)}/?page=Entreprise.EntrepriseAdvancedSearch&amp;AllCons&amp;id={ref}"
            f"&amp;orgAcronyme={org}</link>",
            f"<description>{escape(f.get('objet', ''))}</description>",
            cat("Titre", f.get("intitule")),
            cat("Objet", f.get("objet")),
            cat("DateLimite", format_datetime(limit) if limit else None),
            cat("Category", f.get("categoriePrincipale")),
            cat("Organisme", org),
            cat("Organisme_nom", f.get("entitePublique")),
            cat("LieuxExecution", depts),
            cat("cpv", f.get("idAtexoRef_scriptRef")),
            f'<guid isPermaLink="false">{ref}_{escape(f.get("reference", ""))}</guid>',
            "</item>",
        ]
    )
    return ref, org, item.encode("utf-8")


class AtexoReplay:
    def __init__(self, feed_name: str, items: list[bytes], pages: dict[str, bytes]):
        self.feed = rss(items)
        self.feed_name = feed_name
        self.pages = pages
        self.prefix = ""

    @classmethod
    def from_pages(cls, pages: list[bytes], public_url: str, feed_name: str = "rssTr.xml") -> AtexoReplay:
        items, by_ref = [], {}
        for page in pages:
            ref, _, item = item_from_page(page, public_url)
            items.append(item)
            by_ref[ref] = page
        return cls(feed_name, items, by_ref)

    def handle(self, req: Request) -> Response:
        path = req.path[len(self.prefix) :]
        if path.lstrip("/") == self.feed_name:
            return Response(200, self.feed, content_type="application/rss+xml; charset=utf-8")
        page = self.pages.get(req.query.get("refConsultation", ""))
        if page is None:
            return Response(404, b"<html><body>Consultation introuvable</body></html>", content_type="text/html")
        return Response(200, page, content_type="text/html; charset=utf-8")

    def mount(self, server: ReplayServer, prefix: str) -> str:
        self.prefix = prefix
        server.route("GET", prefix, self.handle)
        return server.url + prefix


class StaticSite:
    """Files of a directory under a prefix (a configured buyer site, for tests)."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.prefix = ""

    def handle(self, req: Request) -> Response:
        name = req.path[len(self.prefix) :].lstrip("/") or "index.html"
        path = (self.directory / name).resolve()
        if not path.is_file() or self.directory.resolve() not in path.parents:
            return Response(404, b"<html><body>Not found</body></html>", content_type="text/html")
        kind = "application/rss+xml" if path.suffix == ".xml" else "text/html; charset=utf-8"
        return Response(200, path.read_bytes(), content_type=kind)

    def mount(self, server: ReplayServer, prefix: str) -> str:
        self.prefix = prefix
        server.route("GET", prefix, self.handle)
        return server.url + prefix


def serve_robots(server: ReplayServer, text: str = "User-agent: *\nAllow: /\n") -> None:
    server.route("GET", "/robots.txt", lambda req: Response(200, text.encode(), content_type="text/plain"))


def recorded_platforms(server: ReplayServer, directory: Path) -> list[dict]:
    """Mount the recorded buyer platforms; returns their `platforms.atexo` configuration entries."""
    serve_robots(server)
    maximilien = AtexoReplay("rssCS.xml", [(directory / "maximilien_rss_item.xml").read_bytes()], {})
    place = AtexoReplay.from_pages(
        [p.read_bytes() for p in sorted((directory / "place").glob("*.html"))], "https://www.marches-publics.gouv.fr"
    )
    return [
        {"name": "maximilien", "url": maximilien.mount(server, "/maximilien"), "feed": "rssCS.xml", "buyers": []},
        {"name": "place", "url": place.mount(server, "/place"), "feed": "rssTr.xml", "buyers": []},
    ]
