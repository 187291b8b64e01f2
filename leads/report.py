"""`run_watch.py leads`: the partnering leads as an operator reads them (plain French text, or JSON)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from formatting import date_fr, money_fr
from leads.model import SIZE_WORDS, Lead, wording


def lead_lines(lead: Lead) -> list[str]:
    """A lead in a few lines: the reason, the contract, who won it, where it was read."""
    lines = [
        f"[{'attribué' if lead.kind == 'award' else 'ouvert'}] {wording(lead.kind, lead.reasons)}",
        f"  {lead.title}",
    ]
    facts = [lead.buyer or "acheteur non précisé"]
    if lead.amount:
        facts.append(money_fr(lead.amount, lead.currency))
    if lead.kind == "award" and lead.day:
        facts.append(date_fr(lead.day, with_time=False))
    if lead.kind == "open" and lead.deadline:
        facts.append("date limite " + date_fr(lead.deadline))
    if lead.departements:
        facts.append(", ".join(lead.departements))
    lines.append("  " + " · ".join(facts))
    if lead.winner_siren:
        size = SIZE_WORDS.get(lead.winner_size or "", lead.winner_size or "")
        lines.append(f"  titulaire : {lead.winner or 'nom non précisé'} (SIREN {lead.winner_siren}, {size})")
    lines.append(
        f"  {lead.reference} — d'après " + " ; ".join(lead.evidence) if lead.evidence else f"  {lead.reference}"
    )
    return lines


def as_json(leads: list[Lead]) -> list[dict[str, Any]]:
    return [{**asdict(lead), "wording": wording(lead.kind, lead.reasons)} for lead in leads]
