"""The "Pistes de partenariat" block of the digests, sent against a real SMTP server on loopback (aiosmtpd),
and the newsletter's section. The archive: see leads_world (real DECP rows and BOAMP notices, sizes made up)."""

from __future__ import annotations

import html as htmllib
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import SmtpSink, alert_config, run_signed_alerts
from leads_world import DECHETERIE, DECHETERIE_SIREN, LeadsArchive, contract

from alerts import subscribers as subs
from alerts.web_forms import NOTICE_KIND_LABELS
from archive.db import open_db
from archive.private import open_private
from leads.model import Rules
from newsletter.content import Compiler, Filter
from newsletter.leads import add_lead_section
from newsletter.render import render

NOW = datetime(2026, 2, 1, 8, 0, tzinfo=UTC)  # 26-7308 (caterers, Normandy, 7 lots) is open until 27 February
PROFILE = {
    "name": "Cuisines solidaires du Bessin",
    "emails": "contact@bessin.example.org",
    "kind": "EI",
    "themes": "restauration_solidaire;dechets_chantier",
    "departements": "57",
    "regions": "Normandie",
    "value_max": "20000",
    "notice_kinds": "open;leads",
    "frequency": "each_run",
}


class World:
    def __init__(self, tmp: Path, smtp_url: str):
        # the DECP rows were published on 2024-12-31: the digests look back far enough to offer them
        self.config = alert_config(tmp, smtp_url, "leads:\n  award_days: 800\n")
        self.archive = LeadsArchive(open_db(tmp / "w.db"))
        self.private = open_private(tmp / "private.db")

    def alerts(self) -> dict:
        return run_signed_alerts(self.config, NOW)


@pytest.fixture
def world(tmp_path: Path, smtp: SmtpSink) -> World:
    w = World(tmp_path, smtp.url)
    w.archive.add_notices("26-7308", now=NOW)
    return w


def parts(msg) -> tuple[str, str, str]:  # noqa: ANN001 - an EmailMessage
    text = msg.get_body(preferencelist=("plain",)).get_content()
    html = msg.get_body(preferencelist=("html",)).get_content()
    visible = re.sub(r"[ \t\r\n]+", " ", htmllib.unescape(re.sub(r"<[^>]+>", " ", html)))
    return text, html, visible


def test_the_digest_carries_the_leads_once_and_a_second_run_sends_nothing(world: World, smtp: SmtpSink) -> None:
    world.archive.add_contracts(contract(DECHETERIE, winner_name="Charpentes de l'Est"))
    world.archive.company(DECHETERIE_SIREN, "GE")
    subs.save(world.private, subs.validate(PROFILE))
    counts = world.alerts()
    # 26-7308 is above the profile's value_max: not a tender for them alone, a lead
    assert counts["sent"] == 1 and counts["tenders"] == 0 and counts["leads"] == 2
    ((_, rcpts, msg),) = smtp.messages
    assert rcpts == ["contact@bessin.example.org"] and msg["Subject"] == "2 pistes de partenariat pour vous"
    text, html, visible = parts(msg)
    for part in (text, visible):
        assert part.count("Pistes de partenariat") == 1 or part.count("PISTES DE PARTENARIAT") == 1
        assert "Ce titulaire doit réaliser des heures d'insertion ; marché remporté par une grande entreprise" in part
        assert "Charpentes de l'Est (grande entreprise, SIREN 819185109)" in part
        assert "Construction d'une déchèterie communautaire à Maizières-lès-Metz: Lot 2: Charpente bois" in part
        assert "27\u202f364\u00a0€" in part and "jeudi 12 décembre 2024" in part
        assert "Groupement possible : 7 lots, 75\u202f000\u00a0€ estimés" in part
        assert "Prestations traiteurs pour l'URSSAF Normandie" in part and "URSSAF NORMANDIE" in part
    assert text.index("heures d'insertion") < text.index("Groupement possible")  # awards first
    keys = sorted(r[0] for r in world.private.execute("select lead_key from sent_leads"))
    assert keys[0] == f"award:decp:{DECHETERIE}:{DECHETERIE_SIREN}" and keys[1].startswith("open:") and len(keys) == 2
    again = world.alerts()
    assert again["digests"] == 0 and again["sent"] == 0 and len(smtp.messages) == 1


def test_an_open_tender_in_the_digest_is_not_repeated_as_a_lead(world: World, smtp: SmtpSink) -> None:
    subs.save(world.private, subs.validate({**PROFILE, "value_max": ""}))
    counts = world.alerts()
    assert counts["tenders"] == 1 and counts["leads"] == 0  # the call itself, once
    world.alerts()
    assert len(smtp.messages) == 1  # nor as a lead later: they have it


def test_subscribers_without_leads_get_no_block(world: World, smtp: SmtpSink) -> None:
    world.archive.add_contracts(contract(DECHETERIE))
    world.archive.company(DECHETERIE_SIREN, "GE")
    default = subs.validate({k: v for k, v in PROFILE.items() if k != "notice_kinds"})
    assert "leads" not in default.notice_kinds  # off unless asked for
    subs.save(world.private, default)
    assert world.alerts()["leads"] == 0 and smtp.messages == []
    assert "leads" in NOTICE_KIND_LABELS and NOTICE_KIND_LABELS["leads"].startswith("Pistes de partenariat")


def test_a_hostile_winner_name_is_escaped(world: World, smtp: SmtpSink) -> None:
    hostile = "<script>alert('x')</script> BTP\r\nBcc: victim@example.org"
    world.archive.add_contracts(contract(DECHETERIE, winner_name=hostile))
    world.archive.company(DECHETERIE_SIREN, "GE")
    subs.save(world.private, subs.validate({**PROFILE, "themes": "dechets_chantier"}))
    world.alerts()
    ((_, rcpts, msg),) = smtp.messages
    text, html, _ = parts(msg)
    assert "<script>" not in html and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; BTP" in html
    assert rcpts == ["contact@bessin.example.org"] and msg["Bcc"] is None
    assert "victim" not in str(msg["Subject"])


def test_the_newsletter_lists_the_weeks_leads_once(tmp_path: Path) -> None:
    world = LeadsArchive(open_db(tmp_path / "w.db"))
    world.add_notices("26-7308", now=NOW)
    flt, labels = Filter(themes=["restauration_solidaire"]), {"restauration_solidaire": "Restauration solidaire"}
    issue = Compiler(world.db, flt, labels).compile("2026-W04", [])  # 26-7308 was published on 21 January 2026
    figures = list(issue.figures)
    add_lead_section(issue, world.db, flt, labels, Rules())
    keys = [s.key for s in issue.sections]
    assert keys.index("leads") == keys.index("results") + 1
    (section,) = [s for s in issue.sections if s.key == "leads"]
    (entry,) = section.entries
    assert (
        entry.lead == "groupement possible : 7 lots" and entry.title == "Prestations traiteurs pour l'URSSAF Normandie"
    )
    assert issue.figures == figures and all(e.lead is None for e in issue.entries)  # the figures count tenders
    md, txt = render(issue, "md").decode(), render(issue, "txt").decode()
    html = render(issue, "html").decode()
    assert md.count("## Pistes de partenariat") == 1 and "- Piste : groupement possible : 7 lots" in md
    assert "PISTES DE PARTENARIAT" in txt and "Piste : groupement possible : 7 lots" in txt
    assert "Pistes de partenariat</h2>" in html and "groupement possible : 7 lots" in html
    assert render(issue, "docx")[:2] == b"PK"
