"""The newsletter's "Pistes de partenariat" section: the week's partnering leads (leads/), each once.

The audience is the newsletter's filter: its themes, its départements (none: all France), and a small
structure's usual size (`leads.usual_size`) for the open tenders' value. The section stands beside the
others: a call can be listed under the new calls and again here, where it is read as a lead; the key
figures and the chapô count the other sections only.
"""

from __future__ import annotations

import sqlite_utils

from formatting import date_fr, money_fr
from formatting.places import place_label
from leads.find import leads_published
from leads.match import Audience, match_leads
from leads.model import SIZE_WORDS, Lead, Rules, wording
from newsletter.content import Entry, Filter, Issue, Section, Winner, source_label

TITLE = "Pistes de partenariat"
NOTE = (
    "Marchés remportés par de grandes entreprises (heures d'insertion à réaliser, sous-traitance) et appels "
    "d'offres trop grands pour une structure seule : groupement possible."
)
EMPTY = "Aucune piste de partenariat cette semaine."


def _entry(lead: Lead, labels: dict[str, str], flt: Filter) -> Entry:
    themes = [c for c in lead.themes if c in flt.themes]
    winners = []
    if lead.kind == "award" and lead.winner:
        size = SIZE_WORDS.get(lead.winner_size or "")
        winners = [
            Winner(lead.winner + (f", {size}" if size else ""), money_fr(lead.amount, lead.currency) or None, False)
        ]
    return Entry(
        key=lead.key,
        title=lead.title,
        buyer=lead.buyer,
        place=place_label(lead.place, lead.departements),
        deadline=date_fr(lead.deadline) if lead.deadline else None,
        value=money_fr(lead.amount, lead.currency) if lead.kind == "open" and lead.amount else None,
        url=lead.url,
        themes=[labels.get(c, c) for c in themes],
        main_theme=labels.get(themes[0], themes[0]) if themes else None,
        flags=[],
        event=None,
        status="initial",
        source=source_label(lead.source),
        published=date_fr(lead.day, with_time=False) if lead.day else None,
        winners=winners,
        lead=wording(lead.kind, lead.reasons),
        sort=(lead.kind != "award", lead.key),
    )


def lead_section(
    db: sqlite_utils.Database, flt: Filter, labels: dict[str, str], rules: Rules, first_day: str, last_day: str
) -> Section:
    """The week's leads for the newsletter's audience, awards first."""
    audience = Audience(
        themes=frozenset(flt.themes),
        departements=frozenset(flt.departements),
        national=not flt.departements,
        usual_size=rules.usual_size,
        large_multiple=rules.large_multiple,
        usual_words="le marché habituel d'une petite structure",
    )
    found = match_leads(leads_published(db, rules, first_day, last_day), audience)
    entries = [_entry(lead, labels, flt) for lead in found]
    return Section("leads", TITLE, NOTE, [(None, entries)] if entries else [], EMPTY)


def add_lead_section(
    issue: Issue, db: sqlite_utils.Database, flt: Filter, labels: dict[str, str], rules: Rules
) -> None:
    """Put the section after the results (before the corrections), in an issue that has sections."""
    if not issue.sections:
        return
    section = lead_section(db, flt, labels, rules, issue.start.isoformat(), issue.end.isoformat())
    keys = [s.key for s in issue.sections]
    at = keys.index("results") + 1 if "results" in keys else len(keys)
    issue.sections.insert(at, section)
