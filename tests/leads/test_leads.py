"""Partnering leads from recorded awards and calls, and a companies sample (see leads_world for what is real)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from leads_world import CARBURANT, CARBURANT_SIREN, DECHETERIE, DECHETERIE_SIREN, LeadsArchive, contract

from archive.db import open_db
from leads.find import current_leads, leads_published
from leads.match import Audience, match_leads
from leads.model import Rules, wording

NOW = datetime(2025, 1, 15, 8, 0, tzinfo=UTC)  # the DECP rows were published on 2024-12-30/31
RULES = Rules()


def audience(themes: list[str], departements: list[str], usual: float = 150_000.0) -> Audience:
    return Audience(frozenset(themes), frozenset(departements), False, usual, RULES.large_multiple)


@pytest.fixture
def world(tmp_path: Path) -> LeadsArchive:
    return LeadsArchive(open_db(tmp_path / "w.db"))


def test_a_large_winner_with_an_insertion_clause_in_theme_and_territory_gives_one_lead(world: LeadsArchive) -> None:
    world.add_contracts(contract(DECHETERIE), contract(CARBURANT))
    world.company(DECHETERIE_SIREN, "GE")
    world.company(CARBURANT_SIREN, "ETI")  # large too, but fuel in the Hérault: another theme and territory
    found = match_leads(current_leads(world.db, RULES, NOW), audience(["dechets_chantier"], ["57"]))
    assert len(found) == 1
    (lead,) = found
    assert lead.kind == "award" and lead.source == "decp" and lead.reference == DECHETERIE
    assert lead.codes == ["insertion_hours", "large_winner"]
    assert lead.winner_siren == DECHETERIE_SIREN and lead.winner_size == "GE" and lead.amount == 27364.0
    assert lead.title.startswith("Construction d'une déchèterie communautaire à Maizières-lès-Metz")
    assert wording(lead.kind, lead.reasons) == (
        "ce titulaire doit réaliser des heures d'insertion ; marché remporté par une grande entreprise (GE)"
    )
    assert any("clause sociale" in e for e in lead.evidence) and lead.day == "2024-12-12"


@pytest.mark.parametrize(
    ("themes", "departements"),
    [(["mobilite_verte"], ["57"]), (["dechets_chantier"], ["75"]), (["insertion_emploi"], ["2A"])],
    ids=["another theme", "another territory", "neither"],
)
def test_another_theme_or_territory_gives_none(world: LeadsArchive, themes: list[str], departements: list[str]) -> None:
    world.add_contracts(contract(DECHETERIE))
    world.company(DECHETERIE_SIREN, "GE")
    assert match_leads(current_leads(world.db, RULES, NOW), audience(themes, departements)) == []


@pytest.mark.parametrize(
    ("size", "ess", "kind"),
    [("GE", True, None), ("ETI", None, "EI"), ("PME", False, None), (None, False, None)],
    ids=["ESS winner", "inclusive winner", "small winner", "size unknown"],
)
def test_an_ess_small_or_unknown_winner_gives_none(world: LeadsArchive, size, ess, kind) -> None:  # noqa: ANN001
    world.add_contracts(contract(DECHETERIE))
    world.company(DECHETERIE_SIREN, size, ess=ess, kind=kind)
    assert current_leads(world.db, RULES, NOW) == []


def test_a_winner_the_register_does_not_know_gives_none_whatever_its_name(world: LeadsArchive) -> None:
    world.add_contracts(contract(DECHETERIE, winner_name="VINCI CONSTRUCTION FRANCE"))
    assert current_leads(world.db, RULES, NOW) == []  # nothing is guessed from a name


def test_declared_subcontracting_is_a_reason_and_old_awards_are_left_out(world: LeadsArchive) -> None:
    world.add_contracts(contract(CARBURANT, subcontracting=True))
    world.company(CARBURANT_SIREN, "ETI")
    (lead,) = current_leads(world.db, RULES, NOW)
    assert lead.codes == ["subcontracting", "large_winner"]
    assert "sous-traitance déclarée" in wording(lead.kind, lead.reasons)
    assert "entreprise de taille intermédiaire" in wording(lead.kind, lead.reasons)
    later = datetime(2026, 6, 1, tzinfo=UTC)  # published 2024-12-31: beyond leads.award_days (365)
    assert current_leads(world.db, RULES, later) == []


def test_an_award_notice_won_by_a_large_firm_with_an_insertion_clause(world: LeadsArchive) -> None:
    """BOAMP 26-81190 (real): two winners with SIRETs. Its theme and insertion clause are written by hand
    (the real classifier gives it no theme); GRAGLIA BTP is given a GE size, SOCIETE ENTR'IN 52 stays unknown."""
    world.add_notices("26-81190")
    world.classify_by_hand("26-81190", "dechets_chantier", insertion="heures d'insertion")
    world.company("432936953", "GE")
    leads = current_leads(world.db, RULES, datetime(2026, 9, 1, tzinfo=UTC))
    (lead,) = match_leads(leads, audience(["dechets_chantier"], ["52"]))
    assert lead.kind == "award" and lead.source == "boamp" and lead.winner == "GRAGLIA BTP"
    assert lead.winner_siren == "432936953" and lead.amount == pytest.approx(213400.41)
    assert lead.codes == ["insertion_hours", "large_winner"]
    assert "l'avis (« heures d'insertion »)" in lead.evidence and lead.url and lead.url.startswith("https://")


def test_a_contract_linked_to_the_award_notice_is_one_lead(world: LeadsArchive) -> None:
    """The same contract in DECP and in its award notice (the linker set its procedure): one lead, DECP first."""
    world.add_notices("26-81190")
    world.classify_by_hand("26-81190", "dechets_chantier")
    world.company("432936953", "GE")
    decp = contract(DECHETERIE)
    decp.winners[0].id = "43293695300012"  # GRAGLIA BTP's SIRET, as if DECP declared this very contract
    world.add_contracts(decp)
    key = world.db.execute("select procedure_id from procedure_notices where source_id = '26-81190'").fetchone()[0]
    world.db.execute("update contracts set procedure_id = ? where uid = ?", [key, DECHETERIE])
    world.db.conn.commit()
    leads = current_leads(world.db, Rules(award_days=800), datetime(2026, 9, 1, tzinfo=UTC))
    assert len(leads) == 1
    (lead,) = leads
    assert lead.source == "decp" and lead.key == f"award:{key}:432936953"
    assert lead.codes == ["insertion_hours", "large_winner"]  # the DECP clause
    assert lead.url  # the notice's link added


def test_a_call_with_several_lots_gives_a_groupement_lead(world: LeadsArchive) -> None:
    """BOAMP 26-7308 (real, URSSAF Normandie caterers, 7 lots, 75 000 €), classified by the real classifier."""
    now = datetime(2026, 2, 1, 8, tzinfo=UTC)
    world.add_notices("26-7308", now=now)
    leads = current_leads(world.db, RULES, now)
    (lead,) = match_leads(leads, audience(["restauration_solidaire"], ["14"]))
    assert lead.kind == "open" and lead.lots == 7 and lead.codes == ["several_lots"]
    assert wording(lead.kind, lead.reasons) == "groupement possible : 7 lots"
    # a structure whose contracts are usually 20 000 €: 75 000 € is more than three times that
    (small,) = match_leads(leads, audience(["restauration_solidaire"], ["14"], usual=20_000))
    assert small.codes == ["several_lots", "large_value"]
    assert "75\u202f000\u00a0€ estimés, plus de 3 fois vos marchés habituels (20\u202f000\u00a0€)" in wording(
        small.kind, small.reasons
    )
    assert match_leads(leads, audience(["restauration_solidaire"], ["13"])) == []  # another territory
    assert match_leads(leads, audience(["restauration_solidaire"], ["14"]), sent={lead.key}) == []  # sent once
    assert current_leads(world.db, RULES, datetime(2026, 3, 1, tzinfo=UTC)) == []  # closed: no lead


def test_publication_departements_alone_are_not_several_places(world: LeadsArchive) -> None:
    """A BOAMP call listed in five départements (26-7308: the publication's) is not performed in five."""
    now = datetime(2026, 2, 1, 8, tzinfo=UTC)
    world.add_notices("26-7308", now=now)
    (lead,) = current_leads(world.db, RULES, now)
    assert len(lead.departements) == 5 and "several_departements" not in lead.codes


def test_a_week_of_leads_for_the_newsletter(world: LeadsArchive) -> None:
    world.add_contracts(contract(DECHETERIE), contract(CARBURANT))
    world.company(DECHETERIE_SIREN, "GE")
    week = leads_published(world.db, RULES, "2024-12-30", "2025-01-05")
    assert [lead.reference for lead in week] == [DECHETERIE]
    assert leads_published(world.db, RULES, "2025-01-06", "2025-01-12") == []


def test_the_leads_command_lists_them(tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch) -> None:  # noqa: ANN001
    from watch import cli

    world = LeadsArchive(open_db(tmp_path / "w.db"))
    world.add_contracts(contract(DECHETERIE))
    world.company(DECHETERIE_SIREN, "GE")
    world.add_notices("26-7308", now=datetime(2026, 2, 1, tzinfo=UTC))
    monkeypatch.setenv("WATCH_DB", str(tmp_path / "w.db"))
    monkeypatch.setenv("WATCH_LOG_FILE", "")
    monkeypatch.setattr(cli.logs, "setup", lambda *a, **k: None)  # no handler left on pytest's streams
    (tmp_path / "c.yaml").write_text("leads:\n  award_days: 800\n", encoding="utf-8")
    assert cli.main(["leads", "--config", str(tmp_path / "c.yaml"), "--as-of", "2026-02-01"]) == 0
    out = capsys.readouterr().out
    assert "[attribué] ce titulaire doit réaliser des heures d'insertion" in out
    assert "[ouvert] groupement possible : 7 lots" in out and out.strip().endswith("2 partnering lead(s)")
    args = ["leads", "--config", str(tmp_path / "c.yaml"), "--as-of", "2026-02-01", "--departement", "57", "--json"]
    assert cli.main(args) == 0
    (only,) = json.loads(capsys.readouterr().out)
    assert only["winner_siren"] == DECHETERIE_SIREN and only["wording"].startswith("ce titulaire")
    assert cli.main(["leads", "--config", str(tmp_path / "c.yaml"), "--departement", "999"]) == 2
    assert "unknown département '999'" in capsys.readouterr().err


def test_an_unreadable_register_row_is_an_unknown_company(world: LeadsArchive, caplog) -> None:  # noqa: ANN001
    world.add_contracts(contract(DECHETERIE), contract(CARBURANT, subcontracting=True))
    world.company(DECHETERIE_SIREN, "GE")
    world.company(CARBURANT_SIREN, "ETI")
    world.db.execute("update companies set sources = '{not json' where siren = ?", [DECHETERIE_SIREN])
    world.db.conn.commit()
    (lead,) = current_leads(world.db, RULES, NOW)  # the other contract's lead still comes
    assert lead.reference == CARBURANT and f"companies row {DECHETERIE_SIREN} left out" in caplog.text


def test_a_lead_never_repeats_a_tender_the_reader_has(world: LeadsArchive) -> None:
    world.add_notices("26-81190")
    world.classify_by_hand("26-81190", "dechets_chantier", insertion="heures d'insertion")
    world.company("432936953", "GE")
    leads = current_leads(world.db, RULES, datetime(2026, 9, 1, tzinfo=UTC))
    (lead,) = leads
    assert match_leads(leads, audience(["dechets_chantier"], ["52"]), skip={lead.procedure_id}) == []
