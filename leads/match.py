"""Matching leads to an audience: an ESS structure's themes, territory and usual contract size.

The audience is what alerts (above) builds from a subscriber, or the newsletter from its filter; this module
knows nothing of subscribers. A lead reaches an audience when it shares one of its themes and lies in its
territory (a national audience: anywhere; a lead without any département reaches national audiences only,
as the tenders of the alerts do); an open tender reaches it only with a reason (lots, départements, or a
value above `large_multiple` times the audience's usual size). Each lead is offered once (`sent`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace

from leads.find import large_value_reason
from leads.model import AWARD_REASONS, OPEN_REASONS, Lead


@dataclass(frozen=True)
class Audience:
    themes: frozenset[str]
    departements: frozenset[str]
    national: bool
    usual_size: float  # euros HT: what the structure usually answers alone
    large_multiple: float
    usual_words: str = "vos marchés habituels"  # whose usual size, as the large-value reason says it

    def in_territory(self, departements: Iterable[str]) -> bool:
        return self.national or not self.departements.isdisjoint(departements)

    def in_themes(self, themes: Iterable[str]) -> bool:
        return not self.themes.isdisjoint(themes)


def _strength(lead: Lead) -> tuple[bool, int, int]:
    """Awards first; then by the strongest reason, and the most reasons."""
    order = AWARD_REASONS if lead.kind == "award" else OPEN_REASONS
    first = min((order.index(c) for c in lead.codes if c in order), default=len(order))
    return (lead.kind != "award", first, -len(lead.reasons))


def match_leads(
    leads: Iterable[Lead],
    audience: Audience,
    *,
    sent: Collection[str] = frozenset(),
    skip: Collection[str] = frozenset(),
) -> list[Lead]:
    """The leads for this audience, strongest first: awards with insertion hours, with subcontracting, then
    the other awards, then open tenders. `sent`: lead keys already offered; `skip`: procedures the reader gets
    as tenders (in the same message, or before): a lead never repeats a tender they have."""
    out = []
    for lead in leads:
        if lead.key in sent or (lead.procedure_id and lead.procedure_id in skip):
            continue
        if not (audience.in_themes(lead.themes) and audience.in_territory(lead.departements)):
            continue
        if lead.kind == "open":
            large = large_value_reason(lead, audience.usual_size, audience.large_multiple, audience.usual_words)
            reasons = [r for r in lead.reasons if r.code != "large_value"] + ([large] if large else [])
            if not reasons:
                continue
            lead = replace(lead, reasons=reasons)
        out.append(lead)
    latest_first = sorted(out, key=lambda x: (x.day or "", x.key), reverse=True)
    return sorted(latest_first, key=_strength)  # stable: the latest first among equally strong leads
