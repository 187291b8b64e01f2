"""The web pages in real headless Chromium (Playwright, the system's /usr/bin/chromium), on loopback with a
real SMTP server: sign-up and its confirmation mail, the preferences from a digest's link, pause and
unsubscribe, "Mes marchés". Screenshots of the pages at 375 and 1200 px go to /tmp/web-shots/."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from websupport import live_fixture, site_fixture  # noqa: F401 - the fixtures

from alerts.matching import Match

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path("/tmp/web-shots")

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs the chromium package (.ci/run installs it)")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(
        viewport={"width": 1200, "height": 900},
        locale="fr-FR",
        java_script_enabled=False,  # the pages need none
    )
    p = context.new_page()
    dialogs: list[str] = []
    p.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))  # an injected alert() would land here
    errors: list[str] = []
    p.on(  # CSP violations, missing files; not the 400 status of a form sent back with its errors
        "console", lambda m: errors.append(m.text) if m.type == "error" and "status of 400" not in m.text else None
    )
    p.dialogs, p.console_errors = dialogs, errors
    yield p
    context.close()
    assert not dialogs
    assert not errors, errors


def shoot(page: Any, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    for width in (375, 1200):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1200, "height": 900})


def wait_for_mail(site: Any, to: str, n: int = 1) -> Any:
    deadline = time.monotonic() + 10
    while len(site.mails(to)) < n and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(site.mails(to)) >= n
    return site.mails(to)[n - 1]


def test_sign_up_confirm_by_mail_and_become_active(live: Any, page: Any) -> None:
    page.goto(live.url + "/")
    assert page.title().startswith("Recevoir les marchés publics")
    page.get_by_role("button", name="M'inscrire").click()  # empty: each wrong field says why, in French
    assert "Le formulaire contient" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("Nom de la structure").get_attribute("aria-invalid") == "true"
    assert "Indiquez le nom de votre structure." in page.locator("main").inner_text()
    assert "Choisissez le type de structure." in page.locator("main").inner_text()
    shoot(page, "signup-errors")
    page.get_by_label("Nom de la structure").fill("Régie de quartier du Havre")
    page.get_by_label("Type de structure").select_option("ACI")
    page.get_by_label("SIRET (facultatif)").fill("73282932000074")
    page.get_by_label("Adresses e-mail qui reçoivent la veille").fill("contact@regie.example.org")
    page.get_by_label("Restauration solidaire").check()
    page.get_by_label("Départements").fill("76, 27")
    page.get_by_label("Mots-clés recherchés (facultatif)").fill("blanchisserie")
    page.get_by_label("Chaque semaine").check()
    shoot(page, "signup")
    page.get_by_role("button", name="M'inscrire").click()
    assert page.locator("h1").inner_text() == "Vérifiez votre messagerie"
    assert live.subscribers() == []  # nothing active before the link is followed

    mail = wait_for_mail(live, "contact@regie.example.org")
    assert "Confirmez votre inscription" in mail["Subject"]
    page.goto(live.link_in(mail, "c"))
    assert live.subscribers() == []  # following the link shows a button: a mail scanner's GET changes nothing
    page.get_by_role("button", name="Confirmer mon inscription").click()
    assert page.locator("h1").inner_text() == "Inscription confirmée"
    [sub] = live.subscribers()
    assert sub.active and sub.origin == "web" and sub.kind == "ACI" and sub.siret == "73282932000074"
    assert sub.departements == ["76", "27"] and sub.frequency == "weekly" and sub.keywords == ["blanchisserie"]
    page.get_by_role("link", name="Voir mes préférences et mes marchés").click()
    assert page.locator("h1").inner_text() == "Mes préférences"


def test_preferences_from_a_digest_change_themes_and_frequency_pause_and_unsubscribe(live: Any, page: Any) -> None:
    sub_id = live.subscribe()
    sub = live.subscribers()[0]
    link = live.web.renderer.context(sub, [])["preferences"]  # the link every digest carries
    page.goto(link)
    assert page.locator("h1").inner_text() == "Mes préférences"
    shoot(page, "preferences")
    page.get_by_label("Agriculture de proximité").check()
    page.get_by_label("Restauration solidaire").uncheck()
    page.get_by_label("Chaque semaine").check()
    page.get_by_role("button", name="Enregistrer mes préférences").click()
    assert "Vos préférences sont enregistrées" in page.get_by_role("status").inner_text()
    [sub] = live.subscribers()
    assert sub.id == sub_id and sub.themes == ["agriculture_proximite"] and sub.frequency == "weekly"
    assert "Chaque semaine" in page.locator("dl.facts").inner_text()
    assert page.get_by_label("Agriculture de proximité").is_checked()

    until = (date.today() + timedelta(days=30)).isoformat()
    page.get_by_label("Reprendre les envois le").fill(until)
    page.get_by_role("button", name="Mettre en pause").click()
    assert "La veille est en pause" in page.get_by_role("status").inner_text()
    assert live.subscribers()[0].paused_until == until

    page.get_by_role("button", name="Me désabonner").click()
    assert "Vous êtes désabonné" in page.get_by_role("status").inner_text()
    assert not live.subscribers()[0].active
    assert live.private["unsubscribes"].count == 1


def test_mes_marches_lists_the_open_tenders_that_match_with_the_digest_why(live: Any, page: Any) -> None:
    live.subscribe(name=HOSTILE_NAME)
    sub = live.subscribers()[0]
    page.goto(live.web.renderer.context(sub, [])["preferences"])
    page.get_by_role("link", name="Mes marchés ouverts").click()
    assert page.locator("h1").inner_text() == "Mes marchés"
    tenders = page.locator("article.tender")
    assert tenders.count() == 2
    text = page.locator("main").inner_text()
    assert "2 marchés ouverts correspondent aujourd'hui au profil de " + HOSTILE_NAME in text
    assert "<script>alert('t')</script> Prestations traiteur" in text  # the scraped title, shown as text
    expected: list[Match] = live.web.items().match(sub, {}, "2026-02-01T08:00:00Z", "2026-02-01")
    from alerts.render import why

    for line in why(expected[0], live.web.labels, sub):
        assert line in text
    assert "Restauration solidaire" in text and "Seine-Maritime (76)" in text
    shoot(page, "marches")


HOSTILE_NAME = "<script>alert('x')</script> Régie « quartiers » & <b>Cie</b>"
