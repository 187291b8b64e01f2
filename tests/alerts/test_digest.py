"""Golden tests of the digest's content, on the digest bench/digest_preview.py renders from the fixtures:
an award shows its winners, amounts and date; a corrigendum what it changed; TED tenders have a place; the
text part carries every fact of the HTML; the "pas pour nous" page names the tender."""

from __future__ import annotations

import dataclasses
import html as htmllib
import importlib.util
import re
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from alerts import outbox
from alerts import subscribers as subs
from alerts.matching import Match
from alerts.render import change_sentences, evidence_words
from alerts.tokens import Signer
from alerts.web import AlertsWeb
from archive.changes import Change
from archive.private import open_private

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("digest_preview", ROOT / "bench" / "digest_preview.py")
preview = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(preview)  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def digest(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, list[Match]]:
    return preview.digest(tmp_path_factory.mktemp("digest"))


def parts(sub: Any, matches: list[Match]) -> tuple[str, str, str]:
    """(text part, HTML part, the HTML as a reader sees it: tags dropped, entities decoded)."""
    message = preview.renderer().message(sub, matches)
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    visible = htmllib.unescape(re.sub(r"<[^>]+>", " ", html))
    return text, html, re.sub(r"[ \t\r\n]+", " ", visible)  # non-breaking spaces kept: they are checked


def by_title(matches: list[Match], words: str, source: str | None = None) -> Match:
    return next(m for m in matches if words in m.item.title and (source is None or source in m.item.sources))


def test_an_award_shows_its_winners_amounts_and_date_and_award_advice(digest) -> None:
    sub, matches = digest
    award = by_title(matches, "espaces verts", "ted")
    ctx = preview.renderer().item(award, sub)
    assert ctx["block"] == "award" and ctx["change"] == "Résultat"
    assert ctx["awards"] == [
        "Espaces Verts Lemire (lot 1) : 95\u202f414\u00a0€",
        "ID Verde SASU (lot 2) : 26\u202f500\u00a0€",
    ]
    assert ctx["awards_total"] == "121\u202f914\u00a0€" and ctx["awarded"] == (
        "Date d'attribution",
        "lundi 2 septembre 2019",
    )
    assert ctx["deadline"] is None and "sous-traitance" in ctx["advice"] and "dossier" not in ctx["advice"]
    text, _, visible = parts(sub, [award])
    for part in (text, visible):
        assert "Espaces Verts Lemire (lot 1) : 95\u202f414\u00a0€" in part and "ID Verde SASU (lot 2)" in part
        assert "lundi 2 septembre 2019" in part and "cotraitance" in part
        assert "téléchargez le dossier" not in part


def test_a_corrigendum_says_what_changed(digest) -> None:
    sub, matches = digest
    call = by_title(matches, "traiteurs")
    moved = (
        "Date limite repoussée du vendredi 27 février 2026 à\u00a012\u00a0h au vendredi 13 mars 2026 à\u00a012\u00a0h"
    )
    text, _, visible = parts(sub, [call])
    assert moved in text and moved in visible
    assert "[Rectifié]" in text and "Ce qui a changé" in visible


def test_a_cancelled_tender_says_it_is_cancelled(digest) -> None:
    sub, matches = digest
    call = by_title(matches, "traiteurs")
    cancelled = Match(dataclasses.replace(call.item, state="cancelled"), "cancelled", call.reasons)
    text, _, visible = parts(sub, [cancelled])
    for part in (text, visible):
        assert "Consultation annulée" in part and "n'envoyez pas d'offre" in part
        assert "Date limite :" not in part and "Date limite repoussée" not in part


def test_ted_and_boamp_tenders_have_a_town_and_a_departement(digest) -> None:
    sub, matches = digest
    r = preview.renderer()
    assert r.item(by_title(matches, "espaces verts", "ted"), sub)["place"] == "Rouen (76)"  # NUTS FRD22
    assert r.item(by_title(matches, "vidéoprotection"), sub)["place"] == "Paris (75)"  # BOAMP: a bare "75"
    assert r.item(by_title(matches, "transport de personnes"), sub)["place"] == "Saint-Orens de Gameville (31)"


def test_the_buyer_name_is_shortened(digest) -> None:
    sub, matches = digest
    award = by_title(matches, "vidéoprotection")
    assert award.item.buyer.startswith("EPPDCSI - UNIVERSCIENCE Etablissement public")  # kept whole in the item
    text, _, visible = parts(sub, [award])
    for part in (text, visible):
        assert "Acheteur : EPPDCSI - UNIVERSCIENCE" in part.replace("Acheteur EPPDCSI", "Acheteur : EPPDCSI")
        assert "caractère industriel" not in part


def facts(ctx: dict[str, Any]) -> list[str]:
    """Every fact the context gives, as the parts must show it."""
    out = [ctx["count_line"], ctx["preheader"]] + ([ctx["more_line"]] if ctx["more_line"] else [])
    for item in ctx["items"]:
        out += [item["title"], item["buyer"] or "non précisé", item["change"], item["advice"], *item["themes"]]
        out += [v for k in ("place", "deadline", "value", "awards_total") if (v := item[k])]
        out += item["awards"] + item["changes"] + [f["text"] for f in item["flags"]] + item["why"]
        out += list(item["awarded"] or ())
    return out


def test_the_text_part_carries_every_fact_of_the_html(digest) -> None:
    sub, matches = digest
    ctx = preview.renderer().context(sub, matches)
    text, _, visible = parts(sub, matches)
    missing_text = [f for f in facts(ctx) if f not in text]
    missing_html = [f for f in facts(ctx) if f not in visible]
    assert not missing_text and not missing_html
    assert "Critère social" in text and "Critère social" in visible
    assert "Modifier mes préférences" in text and "Modifier mes préférences" in visible


def test_counts_are_french_and_the_preheader_comes_first(digest) -> None:
    sub, matches = digest
    text, html, visible = parts(sub, matches[:1])
    assert "1 marché public correspond à votre profil." in text and "1 marché public correspond" in visible
    assert "(s)" not in text
    text, html, visible = parts(sub, matches)
    n = len(matches)
    assert f"{n} marchés publics correspondent à votre profil." in text
    body = html.split("<body", 1)[1].split(">", 1)[1]
    first = htmllib.unescape(re.sub(r"<[^>]+>", " ", body)).strip()
    assert first.startswith(f"{n} marchés pour vous,")  # the inbox preview, not "VEILLE MARCHÉS PUBLICS"
    assert "dont 3 attribués — date limite la plus proche : vendredi 13 mars 2026 à\u00a012\u00a0h" in visible
    assert "display:none" in body.split("</div>", 1)[0]


def test_times_and_amounts_never_break_and_cpv_codes_have_labels(digest) -> None:
    sub, matches = digest
    text, html, _ = parts(sub, matches)
    for part in (text, html):
        assert not re.search(r"\d h\b|à \d|\d €", part)  # "à 12 h", "75 000 €" with ordinary spaces
        for m in re.finditer(r"CPV \d{8}", part):
            assert part[m.end() : m.end() + 2] == " (", part[m.start() : m.end() + 40]


def call(url: str, data: bytes | None = None) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data)) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_the_pas_pour_nous_page_names_the_tender_and_preferences_show_the_profile(digest, tmp_path: Path) -> None:
    sub, matches = digest
    private = open_private(tmp_path / "private.db")
    sub_id = subs.save(
        private,
        subs.validate(
            {
                "name": sub.name,
                "emails": sub.emails,
                "themes": ["restauration_solidaire"],
                "departements": ["76", "67"],
                "keywords": ["espaces verts"],
                "value_max": 200000,
            }
        ),
    )
    sub = dataclasses.replace(sub, id=sub_id)
    renderer = preview.renderer()
    outbox.enqueue(private, sub, matches, renderer.message(sub, matches))
    award = by_title(matches, "vidéoprotection")
    web = AlertsWeb(tmp_path / "private.db", renderer.signer, contact="veille@example.org").start()
    try:
        status, page = call(f"{web.url}/f/{renderer.signer.sign('f', sub_id, award.item.procedure_id)}")
        assert status == 200
        assert "Prestations d&#39;exploitations des installations de vidéoprotection" in page
        assert "EPPDCSI - UNIVERSCIENCE" in page and "Etablissement public" not in page
        status, page = call(f"{web.url}/p/{renderer.signer.sign('p', sub_id)}")
        assert status == 200 and "Mes préférences" in page
        assert "Restauration solidaire" in page and "Seine-Maritime (76)" in page and "Bas-Rhin (67)" in page
        assert "espaces verts" in page and "jusqu&#39;à 200" in page
        assert "Enregistrer mes préférences" in page  # now an editable form (tests/web)
        assert call(f"{web.url}/p/{Signer(b'forged').sign('p', sub_id)}")[0] == 404
        assert call(f"{web.url}/p/{renderer.signer.sign('u', sub_id)}")[0] == 404  # a token for another action
    finally:
        web.stop()
        private.close()


def test_each_change_of_a_corrigendum_is_worded(digest) -> None:
    sub, matches = digest
    call = by_title(matches, "traiteurs")
    item = dataclasses.replace(
        call.item,
        changes=[
            Change("deadline_utc", "2026-03-13T11:00:00Z", "2026-03-06T11:00:00Z"),
            Change("value", 75000.0, 90000.0),
            Change("title", "Traiteur URSSAF", call.item.title),
            Change("buyer_name", "EPPDCSI - UNIVERSCIENCE Etablissement public créé par décret", "URSSAF"),
        ],
    )
    assert change_sentences(item) == [
        "Date limite avancée du vendredi 13 mars 2026 à\u00a012\u00a0h au vendredi 6 mars 2026 à\u00a012\u00a0h",
        "Montant estimé modifié : 75\u202f000\u00a0€ → 90\u202f000\u00a0€",
        "Intitulé modifié (auparavant : « Traiteur URSSAF »)",
        "Acheteur modifié (auparavant : EPPDCSI - UNIVERSCIENCE)",
    ]


def test_a_cpv_code_is_never_shown_without_its_label() -> None:
    assert evidence_words([{"field": "cpv", "code": "15811000", "weight": 1}]) == [
        "CPV 15811000 (Produits de panification)"
    ]
    assert evidence_words([{"field": "cpv", "code": "00000000", "weight": 1}]) == []  # unknown: left out
    words = evidence_words([{"text": "pain bio", "weight": 2}, {"field": "cpv", "code": "15811000-6", "weight": 1}])
    assert words == ["« pain bio »", "CPV 15811000-6 (Produits de panification)"]
