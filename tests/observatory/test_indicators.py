"""Every indicator on the hand-made archive of conftest.py, the expected values worked out in the comments.

Awarded contracts of 2024 (B1-005 is of 2023; the award notice 24-100 is S-004's, counted once as S-004):
  B1-001 100, B1-002 200, S-003 300, S-004 400, X-006 no amount, 24-200 lot 1 500, 24-200 lot 2 250
  -> 7 contracts, 100 + 200 + 300 + 400 + 500 + 250 = 1 750 €, 1 without amount.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from observatory_archive import make_archive

from archive.db import open_db
from classify.event import EventConfig
from observatory.filters import Selection, last_closed_quarter, parse_period, quarter_closed_in
from observatory.indicators import GROUPINGS, combine, compute, group
from observatory.records import read_awarded

EVENT = EventConfig("Paris 2024", buyers=["SOLIDEO", "Paris 2024"], host_buyers=["Ville de Paris"])
Y2024 = parse_period("2024")


@pytest.fixture
def archive_path(tmp_path: Path) -> Path:
    return make_archive(tmp_path)


def approx(x: float) -> object:
    return pytest.approx(x, abs=1e-9)


@pytest.fixture
def records(archive_path: Path) -> list:
    with open_db(archive_path) as db:
        return read_awarded(db, EVENT)


def test_what_is_counted_each_contract_once(records: list) -> None:
    keys = sorted(r.key for r in records)
    # 6 DECP contracts + the two lots of 24-200; 24-100 is S-004's notice, not counted again
    assert keys == sorted(["decp:B1-001", "decp:B1-002", "decp:S-003", "decp:S-004", "decp:B1-005", "decp:X-006",
                           "boamp:24-200#lot 1", "boamp:24-200#lot 2"])  # fmt: skip
    s004 = next(r for r in records if r.key == "decp:S-004")
    assert s004.url == "https://www.boamp.fr/avis/detail/24-100" and s004.event_by == "notice"
    lot1 = next(r for r in records if r.key == "boamp:24-200#lot 1")
    assert lot1.themes == ["insertion_emploi", "restauration_solidaire"]  # best score first: the main theme
    assert lot1.departement == "69" and lot1.month == "2024-06" and lot1.clause is True


def test_number_and_amount(records: list) -> None:
    i = compute(Selection(Y2024).apply(records))
    assert i.contracts == 7
    assert i.amount == approx(1750)  # 100 + 200 + 300 + 400 + 500 + 250
    assert i.without_amount == 1
    assert i.co_held == 1  # B1-002: ACME + Atelier PME


def test_the_charter_share_with_unknown_holders_and_co_holders(records: list) -> None:
    i = compute(Selection(Y2024).apply(records))
    c = i.charter
    # TPE/PME or ESS: B1-001 100 (Régie, TPE+ESS); B1-002 half of 200 = 100 (Atelier PME; ACME is a GE, not
    # ESS: no); S-003 300 (ESAT, ESS); lot 1 500 (Régie) -> 100 + 100 + 300 + 500 = 1 000 of 1 750 = 57.14 %
    assert c.amount == approx(1000)
    assert c.of_amounts == approx(1000 / 1750)
    # unknown: S-004 400 (a TVA number, no SIREN), lot 2 250 (no SIRET); X-006 (ETI, ESS unknown) has no amount
    # -> 650 of 1 750 = 37.14 %; bounds 57.14 % .. (1 000 + 650) / 1 750 = 94.29 %
    assert c.unknown_amount == approx(650)
    assert c.unknown_of_amounts == approx(650 / 1750)
    assert c.upper_of_amounts == approx(1650 / 1750)
    # number: B1-001, B1-002 (one holder is a PME: counted once), S-003, lot 1 -> 4 of 7; unknown: S-004, X-006,
    # lot 2 -> 3
    assert (c.count, c.unknown_count, c.of_count) == (4, 3, 7)
    assert i.target == 0.25 and i.target_status == "atteint"  # even the lower bound 57 % >= 25 %


def test_ess_inclusive_and_sme_shares(records: list) -> None:
    w = compute(Selection(Y2024).apply(records)).winners
    # ESS: B1-001 100 + S-003 300 + lot 1 500 = 900 -> 900 / 1 750 = 51.43 %; 3 contracts of 7
    assert (w["ess"].amount, w["ess"].count) == (approx(900), 3)
    # ESS unknown: S-004 400 + lot 2 250 = 650 (X-006, ETI with ESS unknown, is unknown but has no amount)
    assert w["ess"].unknown_amount == approx(650) and w["ess"].unknown_count == 3
    # inclusive: Régie (EI) on B1-001 100 and lot 1 500, ESAT on S-003 300 -> 900; Grand Groupe and ACME are in
    # the register and in no list: no
    assert (w["inclusive"].amount, w["inclusive"].count, w["inclusive"].unknown_count) == (approx(900), 3, 2)
    # TPE/PME: B1-001 100 (TPE), half of B1-002 = 100 (PME), lot 1 500 -> 700 / 1 750 = 40 %; the ESAT's size is
    # unknown: S-003 300 + S-004 400 + lot 2 250 = 950 unknown
    assert w["sme"].amount == approx(700) and w["sme"].of_amounts == approx(0.4)
    assert w["sme"].unknown_amount == approx(950) and w["sme"].count == 3


def test_social_considerations_among_the_stated(records: list) -> None:
    i = compute(Selection(Y2024).apply(records))
    # stated: B1-001 (clause), B1-002 (none), S-003 (reserved + criterion), X-006 (clause), lots 1 and 2 (the
    # classifier found an insertion clause) -> 6; S-004 states nothing -> 1 unstated
    assert (i.stated, i.stated_none, i.unstated) == (6, 1, 1)
    # stated amounts: 100 + 200 + 300 + 0 + 500 + 250 = 1 350
    assert i.stated_amount == approx(1350)
    clause = i.social["clause"]
    # clause: B1-001, X-006, lot 1, lot 2 -> 4 of 6 = 66.7 %; amounts 100 + 500 + 250 = 850 of 1 350 = 62.96 %
    assert (clause.count, clause.of_count) == (4, 6) and clause.of_amounts == approx(850 / 1350)
    # criterion and reservation: S-003 alone -> 1 of 6; 300 of 1 350 = 22.2 %
    for kind in ("criterion", "reserved"):
        assert (i.social[kind].count, i.social[kind].amount) == (1, approx(300))


def test_filters(records: list) -> None:
    def pick(**kw: object) -> tuple[int, float]:
        i = compute(Selection(**kw).apply(records))  # type: ignore[arg-type]
        return i.contracts, i.amount

    assert pick(period=Y2024, buyer="ville de PARIS") == (2, approx(300))  # B1-001 100 + B1-002 200 (B1-005: 2023)
    assert pick(period=Y2024, buyer="217500016") == (2, approx(300))  # the same buyer by its SIREN
    assert pick(buyer=PARIS_SIRET) == (3, approx(1300))  # every period: + B1-005 1 000
    assert pick(period=Y2024, theme="insertion_emploi") == (3, approx(850))  # B1-001 100 + lots 500 + 250
    assert pick(period=Y2024, theme="restauration_solidaire") == (3, approx(1050))  # S-003 300 + lots 750
    assert pick(period=Y2024, departement="93") == (2, approx(700))  # S-003 300 + S-004 400
    assert pick(period=parse_period("2024-Q1")) == (2, approx(100))  # B1-001 100, X-006 (no amount)
    assert pick(period=parse_period("2024-06")) == (2, approx(750))  # the two lots of 24-200
    assert pick(period=parse_period("2024-05-01..2024-08-31")) == (4, approx(1250))  # 200 + 500 + 250 + 300
    assert pick(period=parse_period("2023")) == (1, approx(1000))  # B1-005


PARIS_SIRET = "21750001600019"


def test_the_event_scope(records: list) -> None:
    kept = Selection(Y2024, event=True).apply(records)
    # S-003: bought by SOLIDEO, a dedicated buyer; S-004: linked to the notice 24-100 tied to Paris 2024.
    # The City of Paris is a host buyer: its contracts are not the event's by their buyer alone.
    assert sorted((r.key, r.event_by) for r in kept) == [("decp:S-003", "buyer"), ("decp:S-004", "notice")]
    i = compute(kept)
    # 300 + 400 = 700; TPE/PME/ESS: S-003 300 -> 42.86 %; unknown S-004 400 -> 57.14 %
    assert i.amount == approx(700) and i.charter.of_amounts == approx(300 / 700)
    assert i.charter.unknown_of_amounts == approx(400 / 700)


def test_grouping(records: list) -> None:
    kept = Selection(Y2024).apply(records)
    labels = {"insertion_emploi": "Insertion et emploi"}
    by_theme = {g.label: (g.indicators.contracts, g.indicators.amount) for g in group(kept, "theme", labels)}
    # each contract once, under its main theme: lots 1+2 and B1-001 under insertion (850), X-006 has none
    assert by_theme["Insertion et emploi"] == (3, approx(850))
    assert by_theme["Sans thème"] == (1, 0)
    assert sum(n for n, _ in by_theme.values()) == 7
    months = [g.key for g in group(kept, "month", labels)]
    assert months == ["2024-02", "2024-03", "2024-05", "2024-06", "2024-08", "2024-11"]
    buyers = group(kept, "buyer", labels)
    assert buyers[0].label == "Métropole de Lyon" and buyers[0].indicators.amount == approx(750)  # largest first
    paris = next(g for g in buyers if g.key == "217500016")
    assert paris.label == "Ville de Paris" and paris.indicators.contracts == 2
    deps = {g.label: g.indicators.contracts for g in group(kept, "departement", labels)}
    assert deps == {"Paris (75)": 2, "Seine-Saint-Denis (93)": 2, "Rhône (69)": 3}


def test_the_groups_of_any_grouping_add_up_to_the_whole(records: list) -> None:
    kept = Selection(Y2024).apply(records)
    whole = compute(kept, 0.3)
    for by in GROUPINGS:
        assert combine((g.indicators for g in group(kept, by, {}, 0.3)), 0.3) == whole, by
    assert whole.charter.amount == approx(1000) and whole.target == 0.3  # as in the test of the charter share
    assert combine([]) == compute([])


def test_periods() -> None:
    assert parse_period("2024-Q3").label == "3e trimestre 2024"
    assert parse_period("2024-q1").name == "2024-Q1"
    assert parse_period("2024-01..2024-02").end.isoformat() == "2024-02-29"
    assert parse_period("2024-07").label == "juillet 2024"
    from datetime import date

    assert last_closed_quarter(date(2025, 4, 1)).name == "2025-Q1"
    assert last_closed_quarter(date(2025, 1, 15)).name == "2024-Q4"
    assert quarter_closed_in(date(2024, 9, 30), date(2024, 10, 6)).name == "2024-Q3"
    assert quarter_closed_in(date(2024, 10, 7), date(2024, 10, 13)) is None
    for bad in ("2024-Q5", "24", "2024-13", "2024-06-01..2024-01-01"):
        with pytest.raises(ValueError):
            parse_period(bad)


def test_an_award_told_twice_is_counted_once(archive_path: Path) -> None:
    """A TED twin of 24-200 and a corrigendum of its lot 2, grouped with it into one procedure (the
    procedures linker's `procedure_notices`): each lot once, the latest reading winning."""
    from archive.store import Archive
    from notices.model import Award, Buyer, Notice

    with open_db(archive_path) as db:
        Archive(db).upsert_notices(
            [
                Notice(
                    "ted",
                    "2024-999",
                    title="Entretien des espaces verts",
                    buyer=Buyer("Métropole de Lyon"),
                    kind="award",
                    published=date(2024, 6, 13),
                    departements=["69"],
                    awards=[
                        Award("Régie Solidaire", "11111111100011", 500.0, "EUR", lot="1"),
                        Award("Inconnue SARL", None, 250.0, "EUR", lot="2"),
                    ],
                ),
                Notice(
                    "boamp",
                    "24-300",
                    title="Rectificatif : entretien des espaces verts",
                    kind="award",
                    buyer=Buyer("Métropole de Lyon"),
                    published=date(2024, 7, 1),
                    status="corrigendum",
                    departements=["69"],
                    awards=[Award("Atelier PME", "33333333300013", 260.0, "EUR", lot="2")],
                ),
            ]  # fmt: skip
        )
        db["procedure_notices"].insert_all(
            [{"procedure_id": "P-24-200", "source": s, "source_id": i, "position": n}
             for n, (s, i) in enumerate([("boamp", "24-200"), ("ted", "2024-999"), ("boamp", "24-300")])]
        )  # fmt: skip
        db.conn.commit()
        records = [r for r in read_awarded(db, EVENT) if r.origin == "notice"]
    # lot 1 from the TED twin (the latest naming it), lot 2 from the corrigendum: 500 + 260 = 760, not 1 500
    assert sorted((r.key, r.amount) for r in records) == [("boamp:24-300#lot 2", 260.0), ("ted:2024-999#lot 1", 500.0)]


def test_a_modification_that_changes_the_holder(archive_path: Path) -> None:
    """B1-001's holder handed over to ACME (a GE, not ESS) by a modification: the contract is ACME's now."""
    from archive.contracts import ContractStore
    from notices.contracts import Contract, Modification, Winner

    with open_db(archive_path) as db:
        ContractStore(db).upsert_contracts(
            [
                Contract(
                    uid="B1-001",
                    id="001",
                    source="decp",
                    buyer_siret="21750001600019",
                    buyer_name="Ville de Paris",
                    notified=date(2024, 2, 10),
                    departement="75",
                    amount=100,
                    social=["clause"],
                    social_stated=True,
                    winners=[Winner("11111111100011", "SIRET")],
                    modifications=[
                        Modification("1", notified=date(2024, 3, 1), winners=[Winner("22222222200012", "SIRET")])
                    ],
                )
            ]  # fmt: skip
        )
        record = next(r for r in read_awarded(db) if r.key == "decp:B1-001")
    assert [h.siren for h in record.holders] == ["222222222"]
    assert record.state("charter") == "no" and record.amount_part("charter", "yes") == 0
