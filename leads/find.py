"""Computing partnering leads from the archive: awards (DECP contracts and award notices) and open tenders.

The same contract read from DECP and from its award notice is one lead when the contract linker tied it to
the notice's procedure (key: procedure + winner SIREN); the DECP reading then wins (it states the social
clause and the subcontracting), the notice adds what it knows. Open-tender leads carry the reasons every
structure shares (lots, départements); the estimated value is judged per structure by leads.match.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import sqlite_utils

from archive.awarded import AwardedContract, companies_by_siren, themed_contracts
from archive.tenders import Tender, TenderNotice, query_tenders
from formatting import display_text, money_fr, safe_url
from formatting.buyers import short_buyer
from leads.model import AWARD_REASONS, SIZE_WORDS, Lead, Reason, Rules
from notices.companies import Company
from notices.dates import PARIS
from notices.nuts import departements_from_nuts

logger = logging.getLogger(__name__)

_ORDER = "coalesce(pn.position, 0), n.published, n.source, n.source_id"
# only what can make a lead is read: themed notices, award notices naming a winner's SIRET
_THEMED = "exists (select 1 from notice_themes t where t.source = n.source and t.source_id = n.source_id)"
_AWARDS_WITH_SIRET = (
    f"{_THEMED} and json_valid(n.awards)"
    " and exists (select 1 from json_each(n.awards) a where json_extract(a.value, '$.siret') is not null)"
)
INSERTION = "ce titulaire doit réaliser des heures d'insertion"
SUBCONTRACTING = "sous-traitance déclarée"


def siren_of(siret: str | None) -> str | None:
    digits = "".join((siret or "").split())
    return digits[:9] if digits.isdigit() and len(digits) in (9, 14) else None


def large_firm(company: Company | None, rules: Rules) -> bool:
    """A winner the register knows as large and neither ESS nor inclusive (unknown: no lead, never guessed)."""
    if company is None or company.size not in rules.large_sizes:
        return False
    return company.ess is not True and company.inclusive_kind is None


def _award_reasons(company: Company, insertion: bool, subcontracting: bool) -> list[Reason]:
    reasons = []
    if insertion:
        reasons.append(Reason("insertion_hours", INSERTION))
    if subcontracting:
        reasons.append(Reason("subcontracting", SUBCONTRACTING))
    size = company.size or ""
    reasons.append(Reason("large_winner", f"marché remporté par une {SIZE_WORDS.get(size, size)} ({size})"))
    return reasons


def _register_evidence(company: Company) -> str:
    name = f"{display_text(company.name, 150)}, " if company.name else ""
    size = SIZE_WORDS.get(company.size or "", company.size)
    return f"le registre des entreprises ({name}SIREN {company.siren} : {size})"


def contract_leads(contracts: list[AwardedContract], companies: dict[str, Company], rules: Rules) -> list[Lead]:
    out = []
    for c in contracts:
        for h in c.holders:
            company = companies.get(h.siren or "")
            if not large_firm(company, rules):
                continue
            assert company is not None
            evidence = [_register_evidence(company)]
            if c.social_clause:
                evidence.append("les données essentielles du marché (DECP : clause sociale)")
            if c.subcontracting_declared:
                evidence.append("les données essentielles du marché (DECP : sous-traitance déclarée)")
            out.append(
                Lead(
                    key=f"award:{c.procedure_id or 'decp:' + c.uid}:{company.siren}",
                    kind="award",
                    reasons=_award_reasons(company, bool(c.social_clause), bool(c.subcontracting_declared)),
                    source="decp",
                    reference=c.uid,
                    procedure_id=c.procedure_id,
                    title=display_text(c.object, 300) or "(objet non précisé)",
                    buyer=short_buyer(display_text(c.buyer_name, 400))
                    or (f"SIRET {c.buyer_siret}" if c.buyer_siret else None),  # DECP rows often name no buyer
                    amount=c.amount,
                    currency="EUR",
                    day=c.notified or c.published,
                    themes=list(c.themes),
                    departements=[c.departement] if c.departement else [],
                    winner=display_text(h.name or company.name, 150),
                    winner_siren=company.siren,
                    winner_size=company.size,
                    evidence=evidence,
                )
            )
    return out


def _insertion_evidence(notice: TenderNotice) -> str | None:
    found = next((e for e in notice.social.evidence.get("insertion_clause", []) if e.get("text")), None)
    return f"l'avis (« {display_text(str(found['text']), 200)} »)" if found else None


def notice_award_leads(tenders: list[Tender], companies: dict[str, Company], rules: Rules) -> list[Lead]:
    """One lead per award notice and large winner (its lots' amounts added up)."""
    out = []
    for tender in tenders:
        for n in tender.notices:
            if n.kind != "award" or n.status == "cancellation" or not n.themes:
                continue
            by_siren: dict[str, list] = {}
            for a in n.awards:
                siren = siren_of(a.siret)
                if siren and not a.intended and large_firm(companies.get(siren), rules):
                    by_siren.setdefault(siren, []).append(a)
            for siren, awards in by_siren.items():
                company = companies[siren]
                amounts = [a.amount for a in awards if a.amount]
                insertion = n.social.insertion_clause
                evidence = [_register_evidence(company)]
                if insertion and (said := _insertion_evidence(n)):
                    evidence.append(said)
                out.append(
                    Lead(
                        key=f"award:{tender.key}:{siren}",
                        kind="award",
                        reasons=_award_reasons(company, insertion, False),
                        source=n.source,
                        reference=n.key,
                        procedure_id=tender.key,
                        title=display_text(n.title, 300) or "(sans titre)",
                        buyer=short_buyer(display_text(n.buyer_name, 400)),
                        amount=sum(amounts) if amounts else None,
                        currency=next((a.currency for a in awards if a.currency), n.currency),
                        day=next((a.award_date for a in awards if a.award_date), None) or n.published,
                        themes=[t.code for t in n.themes],
                        departements=list(n.departements),
                        winner=display_text(awards[0].winner or company.name, 150),
                        winner_siren=siren,
                        winner_size=company.size,
                        lots=len({a.lot for a in awards if a.lot}),
                        place=display_text(n.place, 200),
                        url=safe_url(n.url),
                        evidence=evidence,
                    )
                )
    return out


def open_leads(tenders: list[Tender], rules: Rules) -> list[Lead]:
    """Calls in an ESS theme with several lots or départements, or with an estimated value (judged per
    structure later): the tender's latest call notice speaks for it."""
    out = []
    for tender in tenders:
        calls = [n for n in tender.notices if n.kind == "contract_notice" and n.status != "cancellation"]
        if not calls:
            continue
        head = calls[-1]
        themes = {t.code: t.score for n in calls for t in n.themes}
        if not themes:
            continue
        lots = max(n.lots for n in calls)
        departements = sorted({d for n in calls for d in n.departements})
        # where the work is done (NUTS of the place of performance), not where the notice is listed: BOAMP's
        # département list is the publication's (a church in the Landes is listed in nine départements)
        performed = departements_from_nuts(c for n in calls for c in n.nuts)
        value = next((n.value for n in reversed(calls) if n.value), None)
        reasons, evidence = [], []
        if lots >= rules.min_lots:
            reasons.append(Reason("several_lots", f"{lots} lots"))
            evidence.append(f"l'avis ({lots} lots)")
        if len(performed) >= rules.min_departements:
            reasons.append(Reason("several_departements", f"exécution sur {len(performed)} départements"))
            evidence.append("l'avis (lieu d'exécution : " + ", ".join(performed) + ")")
        if not reasons and not value:
            continue
        out.append(
            Lead(
                key=f"open:{tender.key}",
                kind="open",
                reasons=reasons,
                source=head.source,
                reference=head.key,
                procedure_id=tender.key,
                title=display_text(head.title, 300) or "(sans titre)",
                buyer=short_buyer(display_text(head.buyer_name, 400)),
                amount=value,
                currency=head.currency,
                day=head.published,
                themes=sorted(themes, key=lambda c: (-themes[c], c)),
                departements=departements,
                deadline=head.deadline,
                deadline_utc=tender.deadline_utc or head.deadline_utc,
                lots=lots,
                place=display_text(head.place, 200),
                url=safe_url(head.url),
                evidence=evidence,
            )
        )
    return out


def large_value_reason(lead: Lead, usual: float, multiple: float, whose: str) -> Reason | None:
    """ "75 000 € estimés, plus de 3 fois vos marchés habituels (20 000 €)" when an open tender's value is
    above `multiple` times the usual size (`whose`: whose usual size, in French)."""
    if lead.kind != "open" or not lead.amount or (lead.currency or "EUR") != "EUR":
        return None
    if lead.amount <= multiple * usual:
        return None
    times = f"{multiple:g}".replace(".", ",")
    return Reason("large_value", f"{money_fr(lead.amount)} estimés, plus de {times} fois {whose} ({money_fr(usual)})")


def merged(leads: list[Lead]) -> list[Lead]:
    """One lead per key: the DECP reading first, the notice's reasons and evidence added."""
    by_key: dict[str, Lead] = {}
    for lead in sorted(leads, key=lambda x: (x.key, x.source != "decp", x.reference)):
        kept = by_key.get(lead.key)
        if kept is None:
            by_key[lead.key] = lead
            continue
        codes = set(kept.codes)
        kept.reasons += [r for r in lead.reasons if r.code not in codes]
        kept.reasons.sort(key=lambda r: AWARD_REASONS.index(r.code) if r.code in AWARD_REASONS else 9)
        kept.evidence += [e for e in lead.evidence if e not in kept.evidence]
        kept.url = kept.url or lead.url
        kept.winner = kept.winner or lead.winner
    return list(by_key.values())


def _award_leads(
    db: sqlite_utils.Database, rules: Rules, contracts: list[AwardedContract], awards: list[Tender]
) -> list[Lead]:
    sirens = {h.siren for c in contracts for h in c.holders if h.siren}
    sirens |= {s for t in awards for n in t.notices for a in n.awards if (s := siren_of(a.siret))}
    companies = companies_by_siren(db, sirens)
    return contract_leads(contracts, companies, rules) + notice_award_leads(awards, companies, rules)


def _safe(what: str, build: Callable[[], list[Lead]]) -> list[Lead]:
    try:
        return build()
    except (ValueError, TypeError, KeyError, AttributeError) as exc:  # one bad record never stops the digests
        logger.warning("leads: %s left out: %s: %s", what, type(exc).__name__, exc)
        return []


def current_leads(db: sqlite_utils.Database, rules: Rules, now: datetime) -> list[Lead]:
    """What the digests offer at `now`: awards of the last `award_days` days, and the calls still open."""
    now_utc = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    since = (now.astimezone(PARIS).date() - timedelta(days=rules.award_days)).isoformat()
    contracts = themed_contracts(db, since, holder_sizes=rules.large_sizes)
    awards = query_tenders(
        db,
        f"n.kind = 'award' and n.status != 'cancellation' and n.published >= ? and {_AWARDS_WITH_SIRET}",
        [since],
        _ORDER,
    )
    calls = query_tenders(
        db,
        "n.kind = 'contract_notice' and n.status != 'cancellation' and n.deadline_utc > ?"
        f" and coalesce(p.state, '') not in ('cancelled', 'awarded') and {_THEMED}",
        [now_utc],
        _ORDER,
    )
    found = _safe("awards", lambda: _award_leads(db, rules, contracts, awards))
    found += _safe("open tenders", lambda: open_leads(calls, rules))
    return merged(found)


def leads_published(db: sqlite_utils.Database, rules: Rules, first_day: str, last_day: str) -> list[Lead]:
    """A week's leads (the newsletter): contracts published, award notices and calls published in it."""
    contracts = themed_contracts(db, first_day, last_day, holder_sizes=rules.large_sizes)
    awards = query_tenders(
        db,
        f"n.kind = 'award' and n.status != 'cancellation' and n.published between ? and ? and {_AWARDS_WITH_SIRET}",
        [first_day, last_day],
        _ORDER,
    )
    calls = query_tenders(
        db,
        f"n.kind = 'contract_notice' and n.status = 'initial' and n.published between ? and ? and {_THEMED}",
        [first_day, last_day],
        _ORDER,
    )
    found = _safe("awards", lambda: _award_leads(db, rules, contracts, awards))
    found += _safe("open tenders", lambda: open_leads(calls, rules))
    return merged(found)
