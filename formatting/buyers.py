"""A buyer's short name for a digest line: the name, without the legal tail notices append to it.

"EPPDCSI - UNIVERSCIENCE Etablissement public à caractère industriel et commercial créé par décret ..." reads
"EPPDCSI - UNIVERSCIENCE"; the full name stays in the notice (and the archive). The rules, few and principled:

1. cut where a legal description starts: a legal form written out after the name ("établissement public ...",
   "société anonyme ...", "groupement d'intérêt public"), or a clause ("représenté par", "agissant au nom et pour
   le compte de", "créé par", "sis", "dont le siège"...);
2. cut at a SIRET/SIREN number and at an address: a comma followed by digits (", 12 rue ...", ", 75008 Paris");
3. never cut to nothing: when the cut would leave fewer than 3 characters (the name *is* the legal form,
   "Etablissement public du Grand Paris"), the name is kept whole, capped in length.
"""

from __future__ import annotations

import re

# a legal form or clause, where it does not start the name (rule 1)
_TAILS = [
    r"[ée]tablissement public",
    r"[ée]tablissement\s+d'enseignement",
    r"soci[ée]t[ée] (anonyme|par actions|d'[ée]conomie mixte|publique locale|coop[ée]rative)",
    r"groupement d'int[ée]r[êe]t public",
    r"(personne morale|collectivit[ée] territoriale) de droit public",
    r"repr[ée]sent[ée]e? par",
    r"agissant (au nom|pour le compte|en qualit[ée])",
    r"(cr[ée]{2}e?|institu[ée]e?|r[ée]gie?e?) par ",  # "créé par décret ...", "régi par le code ..."
    r"dont le si[èe]ge",
    r"sise? (au |à |a |,)",
    r"(n°|num[ée]ro)?\s*(siret|siren)\b",
]
_TAIL = re.compile(r"[\s,;:(–—-]+(?:" + "|".join(_TAILS) + r")", re.IGNORECASE)
_SIRET = re.compile(r"[\s,;(]+\d{3}\s?\d{3}\s?\d{3}(\s?\d{5})?\b")  # a SIREN (9) or SIRET (14) number (rule 2)
_ADDRESS = re.compile(r",\s*\d")  # ", 12 rue ...", ", 75008 Paris" (rule 2)


def short_buyer(name: str | None, limit: int = 120) -> str | None:
    """The buyer's name without its legal tail (see the module's rules); None for no name."""
    if not name:
        return None
    full = " ".join(str(name).split())
    cut = len(full)
    for pattern in (_TAIL, _SIRET, _ADDRESS):
        m = pattern.search(full)
        if m and m.start() < cut:
            cut = m.start()
    short = full[:cut].strip(" ,;:-–—(")
    if len(short) < 3:
        short = full
    if len(short) > limit:
        short = short[: limit - 1].rstrip() + "…"
    return short
