"""Alerts end to end against a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

import copy
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from conftest import SAMPLE_PROFILE, SmtpSink, alert_config, alert_env, record, run_signed_alerts

from alerts import subscribers as subs
from alerts.tokens import Signer
from alerts.web import AlertsWeb
from archive.db import open_db
from archive.private import open_private, secret_key
from archive.procedures import rebuild
from archive.store import Archive
from classify.archive_run import classify_archive
from classify.engine import Classifier
from notices.boamp import parse_record
from replay.boamp import corrigendum_of
from settings import config as watch_config

NOW = datetime(2026, 2, 1, 8, 0, tzinfo=UTC)  # 26-7308 (catering, Normandy) is open until 27 February 2026


def hostile(idweb: str = "26-9001") -> dict:
    rec = copy.deepcopy(record("26-7308"))
    title = "<script>alert('x')</script> Prestations traiteur\r\nBcc: victim@example.org"
    rec["idweb"], rec["objet"] = idweb, title
    donnees = json.loads(rec["donnees"])
    donnees["FNSimple"]["initial"]["natureMarche"]["intitule"] = title
    rec["donnees"] = json.dumps(donnees)
    return rec


def corrigendum() -> dict:
    return corrigendum_of(record("26-7308"), "26-7400", "2026-03-13T12:00:00", "2026-01-25")


class World:
    def __init__(self, tmp: Path, smtp_url: str):
        self.env = alert_env(tmp, smtp_url)
        self.config = alert_config(tmp, smtp_url)
        self.db = open_db(tmp / "w.db")
        self.archive = Archive(self.db)
        self.private = open_private(tmp / "private.db")  # subscribers and their mail: never in the archive

    def add(self, *records: dict) -> None:
        self.archive.upsert_notices([parse_record(r) for r in records])
        rebuild(self.db, now=NOW)
        classify_archive(self.db, Classifier())

    def subscribe(self, **profile) -> int:
        data = {**SAMPLE_PROFILE, "frequency": "each_run", **profile}
        return subs.save(self.private, subs.validate(data))

    def alerts(self) -> dict:
        return run_signed_alerts(self.config, NOW)


@pytest.fixture
def world(tmp_path: Path, smtp: SmtpSink) -> World:
    return World(tmp_path, smtp.url)


def test_digest_content_and_headers(world: World, smtp: SmtpSink) -> None:
    world.add(record("26-7308"), record("26-7298"))
    world.subscribe()
    counts = world.alerts()
    assert counts["sent"] == 1 and counts["tenders"] == 1
    ((sender, rcpts, msg),) = smtp.messages
    assert rcpts == ["equipe@traiteur.example.org"] and sender == "veille@example.org"
    assert msg.get_content_type() == "multipart/alternative"
    assert msg["Subject"] == "1 marché public pour vous : Restauration solidaire"
    unsub = msg["List-Unsubscribe"]
    assert "<https://veille.example.org/u/" in unsub and "<mailto:desabonnement@example.org?subject=" in unsub
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = msg.get_body(preferencelist=("plain",)).get_content()
    html = msg.get_body(preferencelist=("html",)).get_content()
    assert "Prestations traiteurs pour l'URSSAF Normandie" in text
    assert "vendredi 27 février 2026 à\u00a012\u00a0h" in text and "75\u202f000\u00a0€" in text
    assert "« traiteurs »" in text or "« Prestations traiteurs »" in text  # why it matched
    assert "Prestations traiteurs pour l&#39;URSSAF Normandie" in html and 'style="' in html
    assert "<style" not in html  # CSS inlined


def test_an_http_public_url_leaves_the_one_click_header_out(world: World, smtp: SmtpSink) -> None:
    """RFC 8058 one-click is an https POST: over http the digest keeps List-Unsubscribe without it."""
    world.config = watch_config.load(world.config.path, env={**world.env, "WATCH_PUBLIC_URL": "http://veille.test"})
    world.add(record("26-7308"))
    world.subscribe()
    world.alerts()
    ((_, _, msg),) = smtp.messages
    assert "<http://veille.test/u/" in msg["List-Unsubscribe"] and msg["List-Unsubscribe-Post"] is None
    assert msg["Message-ID"].endswith("@example.org>")  # on the sender's domain
    assert msg["Date"].endswith(("+0100", "+0200"))  # Paris time


def test_hostile_title_is_escaped_and_kept_out_of_headers(world: World, smtp: SmtpSink) -> None:
    world.add(hostile())
    world.subscribe()
    world.alerts()
    ((_, rcpts, msg),) = smtp.messages
    assert rcpts == ["equipe@traiteur.example.org"]
    assert msg["Bcc"] is None and "victim" not in str(msg["Subject"]) and "\n" not in str(msg["Subject"])
    html = msg.get_body(preferencelist=("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_exactly_once_across_reruns(world: World, smtp: SmtpSink) -> None:
    world.add(record("26-7308"))
    world.subscribe()
    world.alerts()
    world.alerts()
    world.add(record("26-7308"))  # re-crawled, unchanged
    world.alerts()
    assert len(smtp.messages) == 1


def test_smtp_down_then_up(world: World, smtp: SmtpSink) -> None:
    world.add(record("26-7308"))
    world.subscribe()
    smtp.stop()
    counts = world.alerts()
    assert counts["sent"] == 0 and counts["pending"] == 1
    row = world.private.execute("select state, attempts, last_error from outbox").fetchone()
    assert row[0] == "pending" and row[1] == 1 and "unreachable" in row[2]
    smtp.start()
    counts = world.alerts()
    assert counts["sent"] == 1 and counts["digests"] == 0  # the same digest, not a new one
    assert len(smtp.messages) == 1
    assert world.private.execute("select state from outbox").fetchone()[0] == "sent"


def test_crash_between_send_and_record_sends_again_once(world: World, smtp: SmtpSink) -> None:
    world.add(record("26-7308"))
    world.subscribe()
    world.alerts()
    with world.private.conn:  # as if the process died after the server accepted the message
        world.private.execute("update outbox set state = 'sending'")
    world.alerts()
    world.alerts()
    assert len(smtp.messages) == 2
    assert smtp.messages[0][2]["Message-ID"] == smtp.messages[1][2]["Message-ID"]


def test_updated_tender_is_sent_again_once_marked_as_such(world: World, smtp: SmtpSink) -> None:
    world.add(record("26-7308"))
    world.subscribe()
    world.alerts()
    world.add(corrigendum())
    world.alerts()
    world.alerts()
    assert len(smtp.messages) == 2
    text = smtp.messages[1][2].get_body(preferencelist=("plain",)).get_content()
    assert "[Nouvelle date limite]" in text and "vendredi 13 mars 2026 à\u00a012\u00a0h" in text


def test_profile_filters(world: World, smtp: SmtpSink) -> None:
    world.add(record("26-7308"))
    world.subscribe(name="Ailleurs", departements=["13"])
    world.subscribe(name="Trop petit", value_max=10_000)
    world.subscribe(name="Sauf traiteurs", exclude_keywords=["traiteurs"])
    world.subscribe(
        name="Par mot-clé", themes=[], keywords=["plateaux repas", "pause café"], national=True, departements=[]
    )
    world.alerts()
    assert [m[1] for m in smtp.messages] == [["equipe@traiteur.example.org"]]
    assert "mot-clé « pause café »" in smtp.messages[0][2].get_body(preferencelist=("plain",)).get_content()


def test_unsubscribe_and_feedback_through_the_endpoint(world: World) -> None:
    world.add(record("26-7308"))
    sub_id = world.subscribe()
    signer = Signer(b"test-key")
    web = AlertsWeb(Path(world.env["WATCH_PRIVATE_DB"]), signer).start()
    try:
        browser = httpx.Client(base_url=web.url)  # keeps the CSRF cookie, as a browser does

        def call(path: str, data: bytes | None = None) -> int:
            if data is None:
                return browser.get(path).status_code
            form = dict(urllib.parse.parse_qsl(data.decode()))
            page = browser.get(path).text  # the form first: its CSRF token (the one-click POST needs none)
            form.update(re.findall(r'name="(csrf)" value="([^"]+)"', page)[:1])
            return browser.post(path, data=form).status_code

        token = signer.sign("u", sub_id)
        assert call(f"/u/{token}") == 200  # the confirmation page: nothing changed yet
        assert world.private.execute("select active from subscribers").fetchone()[0] == 1
        forged = Signer(b"another-key").sign("u", sub_id)
        assert call(f"/u/{forged}", b"List-Unsubscribe=One-Click") == 404
        assert call(f"/u/{token[:-2]}xx", b"List-Unsubscribe=One-Click") == 404
        assert world.private.execute("select active from subscribers").fetchone()[0] == 1
        feedback = signer.sign("f", sub_id, "boamp:26-7308")
        assert call(f"/f/{feedback}") == 200
        assert call(f"/f/{feedback}", b"reason=trop_loin&comment=hors%20zone") == 200
        assert call(f"/f/{signer.sign('u', sub_id)}", b"reason=autre") == 404  # a token for another action
        assert world.private.execute("select reason from feedback").fetchall() == [("trop_loin: hors zone",)]
        assert call(f"/u/{token}", b"List-Unsubscribe=One-Click") == 200
        assert world.private.execute("select active from subscribers").fetchone()[0] == 0
        assert world.private["unsubscribes"].count == 1
    finally:
        web.stop()


def test_secret_key_is_generated_once_and_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WATCH_SECRET_KEY", raising=False)
    key_file = tmp_path / "private" / "secret.key"
    assert secret_key(key_file) == secret_key(key_file) and len(secret_key(key_file)) >= 40
    assert key_file.stat().st_mode & 0o777 == 0o600
