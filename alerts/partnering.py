"""The "Pistes de partenariat" block of a digest: the partnering leads (leads/) for one subscriber.

Only subscribers with "leads" in their notice kinds get it. Their audience is their profile: themes, every
département of their départements and regions (or national), and their usual contract size (value_max,
else the `leads.usual_size_by_kind` of their kind, else `leads.usual_size`). A lead already sent to them
(sent_leads) is never sent again; a tender already in the same digest, or sent before as a tender (a call, an
award), is not repeated as a lead; the words the structure excludes keep a lead out as they keep a tender out.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import sqlite_utils

from alerts.matching import Profile, _contains
from alerts.subscribers import Subscriber
from classify.text import tokens
from formatting import date_fr, money_fr
from formatting.places import place_label
from leads.match import Audience, match_leads
from leads.model import SIZE_WORDS, Lead, Rules, wording

ADVICE = {
    "award": "Proposez au titulaire une sous-traitance ou une cotraitance : les heures d'insertion et les "
    "prestations de proximité se confient souvent à des structures de l'ESS. Présentez vos références et votre "
    "capacité, lot par lot.",
    "open": "Trop grand pour une structure seule ? Répondez en groupement (cotraitance) avec d'autres structures "
    "de l'ESS ou une entreprise, ou positionnez-vous sur un lot.",
}


def audience_of(sub: Subscriber, rules: Rules) -> Audience:
    return Audience(
        themes=frozenset(sub.themes),
        departements=frozenset(sub.all_departements),
        national=sub.national,
        usual_size=rules.usual_for(sub.kind, sub.value_max),
        large_multiple=rules.large_multiple,
    )


def leads_for(
    private: sqlite_utils.Database,
    sub: Subscriber,
    leads: list[Lead],
    rules: Rules,
    *,
    in_digest: Collection[str],
    tenders_sent: Collection[str],
) -> list[Lead]:
    """The leads this subscriber gets now (none unless they asked for leads), at most `leads.max_items`.
    `in_digest`: the procedures of this digest; `tenders_sent`: those sent to them before."""
    if "leads" not in sub.notice_kinds or not leads:
        return []
    sent = {k for (k,) in private.execute("select lead_key from sent_leads where subscriber_id = ?", [sub.id])}
    found = match_leads(leads, audience_of(sub, rules), sent=sent, skip={*in_digest, *tenders_sent})
    excluded = Profile.of(sub).excluded  # the words a structure wants none of keep these leads out too
    if excluded:
        found = [lead for lead in found if not any(_contains(tokens(lead.title).keys, k) for k in excluded)]
    return found[: rules.max_items]


def winner_line(lead: Lead) -> str | None:
    if not lead.winner and not lead.winner_siren:
        return None
    size = SIZE_WORDS.get(lead.winner_size or "")
    siren = f"SIREN {lead.winner_siren}" if lead.winner_siren else None
    name = lead.winner or siren or ""  # DECP often names no holder: its SIREN is its name then
    details = [p for p in (size, siren if lead.winner else None) if p]
    return name + (f" ({', '.join(details)})" if details else "")


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def view(lead: Lead, theme_labels: dict[str, str]) -> dict[str, Any]:
    """One lead's facts, as both parts of the digest show them (the same words in the HTML and the text)."""
    if lead.kind == "award":
        when = ("Notifié le" if lead.source == "decp" else "Attribué le", date_fr(lead.day, with_time=False))
    else:
        when = ("Date limite", date_fr(lead.deadline)) if lead.deadline else None
    return {
        "kind": lead.kind,
        "label": "Marché attribué" if lead.kind == "award" else "Appel d'offres ouvert",
        "title": lead.title,
        "buyer": lead.buyer,
        "winner": winner_line(lead),
        "amount": (
            (("Montant" if lead.kind == "award" else "Montant estimé"), money_fr(lead.amount, lead.currency))
            if lead.amount
            else None
        ),
        "when": when if when and when[1] else None,
        "places": place_label(lead.place, lead.departements),
        "themes": [theme_labels.get(c, c) for c in lead.themes],
        "reason": _sentence(wording(lead.kind, lead.reasons)),
        "insertion": "insertion_hours" in lead.codes,
        "evidence": lead.evidence[:3],
        "advice": ADVICE[lead.kind],
        "url": lead.url,
    }
