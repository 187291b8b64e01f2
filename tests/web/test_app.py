"""The web application's safety through Starlette's TestClient (fast): CSRF, expired and altered tokens,
double sign-up, hostile names, rate limits, security headers; and `run_watch.py web`."""

from __future__ import annotations

import logging
import os
import re
import signal
import socket
import subprocess
import time
from typing import Any

import httpx
import pytest
from conftest import ROOT, Watch
from starlette.testclient import TestClient
from websupport import HOSTILE, Site, csrf_of, site_fixture  # noqa: F401 - the fixture

from alerts.subscribers import siret_ok
from alerts.tokens import Signer, check, issue

PROFILE = {
    "name": "Atelier du Lin",
    "kind": "ESAT",
    "emails": "atelier@lin.example.org",
    "themes": ["restauration_solidaire"],
    "departements": "76",
    "notice_kinds": ["open"],
    "frequency": "daily",
}


def client(site: Site) -> TestClient:
    return TestClient(site.web.app, base_url="http://testserver")


def sign_up(c: TestClient, **changes: Any) -> httpx.Response:
    form = {**PROFILE, **changes}
    form["csrf"] = csrf_of(c.get("/").text)
    return c.post("/", data=form)


def body(response: httpx.Response) -> str:
    """The page without its CSRF tokens (which differ from one page to the next)."""
    return re.sub(r'name="csrf" value="[^"]+"', "", response.text)


def requests(site: Site) -> int:
    return site.private["signup_requests"].count


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(site: Site) -> None:
    c = client(site)
    c.get("/")
    assert c.post("/", data=PROFILE).status_code == 403
    assert c.post("/", data={**PROFILE, "csrf": "forged.token"}).status_code == 403
    other = client(site)  # a token from another browser (another cookie) is no good here either
    assert c.post("/", data={**PROFILE, "csrf": csrf_of(other.get("/").text)}).status_code == 403
    link_token = csrf_of(c.get("/lien").text)  # nor a token of another form
    assert c.post("/", data={**PROFILE, "csrf": link_token}).status_code == 403
    assert requests(site) == 0 and site.smtp.messages == []

    sub_id = site.subscribe()
    token = site.token("p", sub_id)
    c.get(f"/p/{token}")
    for action in ("save", "pause", "unsubscribe"):
        r = c.post(f"/p/{token}", data={"action": action, "name": "Changé", "until": "2099-01-01"})
        assert r.status_code == 403 and "Rien n&#39;a été modifié" in r.text
    [sub] = site.subscribers()
    assert sub.name == "Traiteur solidaire" and sub.active and sub.paused_until is None


def test_expired_altered_and_wrong_purpose_tokens_are_refused(site: Site) -> None:
    sub_id = site.subscribe()
    c = client(site)
    expired = issue(site.signer, "p", sub_id, ttl=-1)
    assert c.get(f"/p/{expired}").status_code == 404
    assert c.get(f"/m/{expired}").status_code == 404
    good = site.token("p", sub_id)
    assert c.get(f"/p/{good}").status_code == 200
    payload, mac = good.split(".")
    for bad in (good[:-1] + ("A" if good[-1] != "A" else "B"), f"{payload}x.{mac}", f"{payload}.{mac}=", good + "."):
        assert c.get(f"/p/{bad}").status_code == 404
    assert c.get(f"/p/{site.token('u', sub_id)}").status_code == 404  # an unsubscribe token opens no preferences
    assert c.get(f"/u/{site.token('p', sub_id)}").status_code == 404
    assert c.post(f"/u/{expired}", data={"List-Unsubscribe": "One-Click"}).status_code == 404
    assert c.get(f"/c/{site.token('p', sub_id)}").status_code == 404
    assert c.get(f"/p/{Signer(b'another-key-0123456789').sign('2', 'p', 9999999999, sub_id)}").status_code == 404
    assert site.subscribers()[0].active
    # the tokens themselves
    assert check(site.signer, good, "p") == [str(sub_id)]
    assert check(site.signer, good, "u") is None and check(site.signer, expired, "p") is None
    legacy = site.signer.sign("u", sub_id)  # mailed before tokens expired: unsubscribe keeps working
    assert check(site.signer, legacy, "u", legacy=True) == [str(sub_id)] and check(site.signer, legacy, "u") is None


def test_a_confirmation_link_expires_and_serves_once(site: Site) -> None:
    c = client(site)
    assert sign_up(c).status_code == 200
    [(_, _, mail)] = site.smtp.messages
    path = site.link_in(mail, "c").removeprefix(site.web.public_url)
    with site.private.conn:
        site.private.execute("update signup_requests set expires_at = '2000-01-01T00:00:00+00:00'")
    assert c.get(path).status_code == 404
    with site.private.conn:
        site.private.execute("update signup_requests set expires_at = '2999-01-01T00:00:00+00:00'")
    page = c.get(path)
    assert page.status_code == 200 and site.subscribers() == []
    assert c.post(path, data={}).status_code == 403 and site.subscribers() == []  # without CSRF
    assert c.post(path, data={"csrf": csrf_of(page.text)}).status_code == 200
    assert c.get(path).status_code == 404  # used
    [sub] = site.subscribers()
    assert sub.origin == "web" and sub.name == "Atelier du Lin"


def test_an_address_signed_up_twice_gets_the_same_answer_and_one_subscriber(site: Site) -> None:
    c = client(site)
    first, second = sign_up(c), sign_up(c)
    assert first.status_code == second.status_code == 200 and body(first) == body(second)
    links = [site.link_in(m, "c").removeprefix(site.web.public_url) for _, _, m in site.smtp.messages]
    assert len(links) == 2
    for path in links:
        assert c.post(path, data={"csrf": csrf_of(c.get(path).text)}).status_code == 200
    assert len(site.subscribers()) == 1
    # once subscribed, a third sign-up answers the same, mails the preferences link, and stores nothing
    third = sign_up(c, name="Un autre nom")
    assert body(third) == body(first) and requests(site) == 2
    last = site.smtp.messages[-1][2]
    assert "/p/" in site.link_in(last, "p") and "déjà" in last.get_body().get_content()
    assert len(site.subscribers()) == 1


def test_a_hostile_structure_name_is_escaped_everywhere(site: Site) -> None:
    c = client(site)
    r = sign_up(c, name=HOSTILE)
    assert r.status_code == 200
    path = site.link_in(site.smtp.messages[0][2], "c").removeprefix(site.web.public_url)
    page = c.get(path)
    assert HOSTILE not in page.text and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page.text
    done = c.post(path, data={"csrf": csrf_of(page.text)})
    assert "<script>" not in done.text and "&lt;b&gt;Cie&lt;/b&gt;" in done.text
    [sub] = site.subscribers()
    assert sub.name == HOSTILE  # stored as given, shown as text
    token = site.token("p", sub.id)
    for url in (f"/p/{token}", f"/m/{token}", f"/u/{site.token('u', sub.id)}"):
        html = c.get(url).text
        assert "<script>" not in html and "<b>Cie</b>" not in html and "&lt;script&gt;" in html, url
    markets = c.get(f"/m/{token}").text  # a scraped title with markup, escaped too
    assert "<img src=x" not in markets and "&lt;img src=x onerror=alert(1)&gt;" in markets
    # a wrong form shows the name back, escaped
    bad = sign_up(c, name=HOSTILE, emails="not-an-address")
    assert bad.status_code == 400 and "<script>" not in bad.text and "adresse e-mail valide" in bad.text


def test_sign_up_and_send_my_link_are_rate_limited_per_address_and_per_ip(site: Site) -> None:
    c = client(site)
    assert [sign_up(c).status_code for _ in range(4)] == [200, 200, 200, 429]
    assert requests(site) == 3
    assert sign_up(c, emails="autre@lin.example.org").status_code == 200  # another address from the same IP
    for i in range(5):
        csrf = csrf_of(c.get("/lien").text)
        c.post("/lien", data={"email": f"x{i}@example.org", "csrf": csrf})
    csrf = csrf_of(c.get("/lien").text)  # the IP's ten requests of the hour are used
    assert c.post("/lien", data={"email": "new@example.org", "csrf": csrf}).status_code == 429
    assert sign_up(c, emails="encore@lin.example.org").status_code == 429


def test_send_my_link_mails_the_preferences_link_and_answers_the_same(site: Site) -> None:
    site.subscribe()
    c = client(site)
    answers = []
    for email in ("equipe@traiteur.example.org", "nobody@example.org"):
        answers.append(body(c.post("/lien", data={"email": email, "csrf": csrf_of(c.get("/lien").text)})))
    assert answers[0] == answers[1]
    [(_, rcpt, mail)] = site.smtp.messages
    assert rcpt == ["equipe@traiteur.example.org"]
    assert c.get(site.link_in(mail, "p").removeprefix(site.web.public_url)).status_code == 200


def test_security_headers_on_every_response(site: Site) -> None:
    sub_id = site.subscribe()
    c = client(site)
    responses = [
        c.get("/"),
        c.get("/lien"),
        c.get("/static/web.css"),
        c.get("/nowhere"),
        c.post("/", data={}),
        c.get(f"/p/{site.token('p', sub_id)}"),
        c.get(f"/m/{site.token('p', sub_id)}"),
        c.get("/p/forged"),
        c.delete("/"),
    ]
    for r in responses:
        csp = r.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src" not in csp and "'unsafe-inline'" not in csp
        assert csp.startswith("default-src 'none'")
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"
    cookie = responses[0].headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    for r in responses:  # no inline script or style anywhere in the pages
        assert "<script" not in r.text and "style=" not in r.text and "<style" not in r.text


def test_the_form_says_what_is_wrong_in_french_and_keeps_what_was_typed(site: Site) -> None:
    c = client(site)
    r = sign_up(c, siret="73282932000075", themes=[], departements="", keywords="blanchisserie")
    assert r.status_code == 400
    assert "Ce SIRET n&#39;est pas valide" in r.text and "Indiquez des départements" in r.text
    assert 'value="blanchisserie"' in r.text and 'value="Atelier du Lin"' in r.text
    assert requests(site) == 0
    assert siret_ok("73282932000074") and not siret_ok("7328293200007") and not siret_ok("7328293200007A")


def test_no_address_or_name_in_the_log(site: Site, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    c = client(site)
    sign_up(c)
    path = site.link_in(site.smtp.messages[0][2], "c").removeprefix(site.web.public_url)
    c.post(path, data={"csrf": csrf_of(c.get(path).text)})
    c.post("/lien", data={"email": "atelier@lin.example.org", "csrf": csrf_of(c.get("/lien").text)})
    ours = [r for r in caplog.records if r.name.split(".")[0] in ("alerts", "archive", "mail", "watch", "uvicorn")]
    text = "\n".join(r.getMessage() for r in ours if r.name != "mail.log")  # mail.log: the test's SMTP server
    assert "sign-up request 1" in text
    assert "lin.example.org" not in text and "Atelier du Lin" not in text and path.split("/")[-1] not in text


def test_run_watch_web_serves_the_pages_and_stops_on_sigterm(watch: Watch) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        watch.command("web", "--port", str(port)), cwd=ROOT, env=watch.env, stdout=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and proc.poll() is None
                time.sleep(0.1)
        assert r.status_code == 200 and "M'inscrire" in r.text
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)


def test_a_pause_holds_the_digests_until_its_day_and_origins_are_recorded(tmp_path: Any) -> None:
    from datetime import UTC, datetime

    import sqlite_utils

    from alerts import subscribers as subs
    from alerts.run import is_due
    from archive.private import open_private

    sub = subs.validate({"name": "S", "emails": "a@b.org", "themes": "restauration_solidaire", "national": "yes"})
    assert sub.origin == "cli"
    sub.paused_until = "2026-03-01"
    assert not is_due(sub, datetime(2026, 2, 28, 12, tzinfo=UTC))
    assert is_due(sub, datetime(2026, 3, 1, 12, tzinfo=UTC))
    old = sqlite_utils.Database(tmp_path / "old.db")  # a private store from before the web sign-up
    columns = {k: str for k in subs.CSV_FIELDS} | {"id": int, "created_at": str, "last_digest_at": str}
    old["subscribers"].create(columns, pk="id")
    old.close()
    private = open_private(tmp_path / "old.db")
    assert {"origin", "siret", "paused_until"} <= set(private["subscribers"].columns_dict)
    csv = "name,emails,themes,national\nCoop,c@d.org,restauration_solidaire,yes\n"
    [sub_id] = subs.import_csv(private, csv)
    assert subs.get(private, str(sub_id)).origin == "csv"
    private.close()


def test_an_oversized_body_is_refused_with_or_without_content_length(site: Site) -> None:
    c = client(site)
    csrf = csrf_of(c.get("/").text)
    big = {**PROFILE, "csrf": csrf, "keywords": "x" * 20_000}
    assert c.post("/", data=big).status_code == 400

    def chunks() -> Any:
        yield f"csrf={csrf}&name=A&emails=a%40b.org&themes=restauration_solidaire&departements=76&".encode()
        for _ in range(10):
            yield b"keywords=" + b"y" * 4000 + b"&"

    r = c.post("/", content=chunks(), headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 403 and requests(site) == 0 and site.smtp.messages == []
