"""Shared by tests/web (imported: tests/conftest.py is the one `conftest` module).

The web pages on loopback: an archive with recorded tenders, a private store, a real SMTP sink, uvicorn.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLE_PROFILE, SmtpSink, record

from alerts import subscribers as subs
from alerts.tokens import Signer, issue
from alerts.web import WebApp, WebServer
from archive.db import open_db
from archive.private import open_private
from archive.procedures import rebuild
from archive.store import Archive
from classify.archive_run import classify_archive
from classify.engine import Classifier
from mail.transport import SmtpTransport
from notices.boamp import parse_record

NOW = datetime(2026, 2, 1, 8, 0, tzinfo=UTC)  # 26-7308 (catering, Seine-Maritime) is open until 27 February 2026
HOSTILE = "<script>alert('x')</script> Régie \"quartiers\" & <b>Cie</b>"


def hostile_tender() -> dict[str, Any]:
    rec = copy.deepcopy(record("26-7308"))
    title = "<script>alert('t')</script> Prestations traiteur <img src=x onerror=alert(1)>"
    rec["idweb"], rec["objet"] = "26-9001", title
    donnees = json.loads(rec["donnees"])
    donnees["FNSimple"]["initial"]["natureMarche"]["intitule"] = title
    rec["donnees"] = json.dumps(donnees)
    return rec


class Site:
    def __init__(self, tmp: Path, smtp: SmtpSink, **limits: Any):
        self.tmp, self.smtp = tmp, smtp
        db = open_db(tmp / "w.db")
        Archive(db).upsert_notices([parse_record(r) for r in (record("26-7308"), hostile_tender())])
        rebuild(db, now=NOW)
        classify_archive(db, Classifier())
        db.close()
        self.private = open_private(tmp / "private.db")
        self.signer = Signer(b"web-test-key-0123456789")
        self.web = WebApp(
            tmp / "private.db",
            self.signer,
            archive_path=tmp / "w.db",
            transport=SmtpTransport(smtp.url),
            sender="Veille ESS <veille@example.org>",
            as_of=NOW,
            **limits,
        )
        self.server: WebServer | None = None

    def start(self) -> Site:
        self.server = WebServer(self.web).start()
        self.web.public_url = self.server.url
        self.web.renderer.public_url = self.server.url
        return self

    @property
    def url(self) -> str:
        return self.server.url if self.server else "http://testserver"

    def subscribe(self, **profile: Any) -> int:
        data = {**SAMPLE_PROFILE, "frequency": "daily", **profile}
        return subs.save(self.private, subs.validate(data))

    def token(self, purpose: str, *parts: Any, ttl: int = 3600) -> str:
        return issue(self.signer, purpose, *parts, ttl=ttl)

    def subscribers(self) -> list[subs.Subscriber]:
        return subs.load_all(self.private)

    def mails(self, to: str) -> list[Any]:
        return [m for _, rcpt, m in self.smtp.messages if to in rcpt]

    def link_in(self, message: Any, path: str) -> str:
        body = message.get_body(preferencelist=("plain",)).get_content()
        return re.search(rf"https?://\S+/{path}/\S+", body)[0]

    def close(self) -> None:
        if self.server:
            self.server.stop()
        self.private.close()


@pytest.fixture(name="site")
def site_fixture(tmp_path: Path, smtp: SmtpSink) -> Iterator[Site]:
    s = Site(tmp_path, smtp)
    yield s
    s.close()


@pytest.fixture(name="live")
def live_fixture(site: Site) -> Site:
    return site.start()


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html)[1]
