"""The social flags: reserved contract, insertion clause, social criterion, each with its evidence.

Structured evidence (the notice's own fields, read by the spiders into `social` signals) is exact:
eForms BT-71 `res-ws`/`res-pub-ser`, BT-736 `yes`, BT-775 social objectives (`opp` = insertion), BT-06
`soc-obj`, BOAMP `criteres` sociaux, v230 MARCHE_RESERVE_OUI, FNSimple reservationMarche.

Text evidence is read in context: a phrase preceded in the same sentence by a negation ("ne comporte
pas de clause sociale", "aucune clause"), or followed by "non"/"néant" ("marché réservé : non"), does not
count; "réservé aux ..." counts only when the beneficiaries are ESS or inclusive-employment structures
("réservée aux commissaires aux comptes" is a profession, not a reserved contract).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from classify.matcher import PhraseIndex
from classify.text import Tokens, phrase_key, tokens

EA_ESAT, SIAE, ESS, UNSPECIFIED = "ea_esat", "siae", "ess", "unspecified"

# Who a reservation is for: words that, near "réservé", name the beneficiaries.
BENEFICIARIES = {
    EA_ESAT: [
        "entreprises adaptees",
        "entreprise adaptee",
        "esat",
        "etablissements et services d'aide par le travail",
        "etablissement et service d'aide par le travail",
        "ateliers proteges",
        "atelier protege",
        "travailleurs handicapes",
        "personnes handicapees",
        "emplois proteges",
        "sheltered workshops",
        "sheltered employment",
    ],
    SIAE: [
        "structures d'insertion par l'activite economique",
        "structure d'insertion par l'activite economique",
        "siae",
        "structures d'insertion",
        "entreprises d'insertion",
        "operateurs economiques dont l'objet",
        "personnes defavorisees",
        "integration sociale et professionnelle",
    ],
    ESS: [
        "economie sociale et solidaire",
        "entreprises de l'economie sociale",
        "ess",
        "esus",
        "mission de service public",
        "public service mission",
    ],
}
RESERVATION_WORDS = [
    "marche reserve",
    "marches reserves",
    "lot reserve",
    "lots reserves",
    "reserve aux",
    "reserve a",
    "reservee aux",
    "reserve a des",
    "reserved contract",
    "reserved for",
    "participation reservee",
]
# "marché réservé" alone is the legal term: a reservation of unspecified kind; "réservé aux" needs beneficiaries.
SELF_SUFFICIENT = {"marche reserve", "marches reserves", "lot reserve", "lots reserves", "reserved contract"}

INSERTION_STRONG = [
    "clause d'insertion",
    "clauses d'insertion",
    "clause sociale",
    "clauses sociales",
    "clause sociale d'insertion",
    "heures d'insertion",
    "heure d'insertion",
    "clause de promotion de l'emploi",
    "facilitateur",
    "facilitateurs de clauses",
    "insertion sociale et professionnelle des publics",
]
# Only in conditions, notes or description: in a title they name a purchase of insertion services (a theme).
INSERTION_CONTEXT = [
    "insertion par l'activite economique",
    "publics eloignes de l'emploi",
    "personnes eloignees de l'emploi",
    "public eloigne de l'emploi",
    "demandeurs d'emploi de longue duree",
    "chomeurs de longue duree",
    "action d'insertion",
    "actions d'insertion",
    "insertion professionnelle",
    "promotion de l'emploi",
    "long-term unemployed",
    "disadvantaged persons",
]
CRITERION = [
    "critere social",
    "criteres sociaux",
    "critere d'insertion",
    "performance en matiere d'insertion",
    "performances en matiere d'insertion",
    "performance sociale",
    "responsabilite sociale",
    "responsabilite societale",
    "rse",
    "dimension sociale",
    "criteres environnementaux et sociaux",
    "considerations sociales",
    "insertion professionnelle des publics",
    "social criteria",
    "social value",
]
LEGAL = [  # pre-2019 texts and the current code, matched on the raw text
    (re.compile(r"L\.?\s*2113-12\b", re.I), "reserved_contract", EA_ESAT),
    (re.compile(r"L\.?\s*2113-13\b", re.I), "reserved_contract", SIAE),
    (re.compile(r"L\.?\s*2113-1[45]\b", re.I), "reserved_contract", ESS),
    (re.compile(r"article\s+36\s+de\s+l.ordonnance", re.I), "reserved_contract", UNSPECIFIED),
    (re.compile(r"L\.?\s*2112-2\b", re.I), "insertion_clause", None),
    (re.compile(r"article\s+38\s+de\s+l.ordonnance", re.I), "insertion_clause", None),
    (re.compile(r"article\s+14\s+du\s+code\s+des\s+march", re.I), "insertion_clause", None),
    (re.compile(r"article\s+15\s+du\s+code\s+des\s+march", re.I), "reserved_contract", UNSPECIFIED),
]
NEGATIONS = frozenset(
    phrase_key(w)[0]
    for w in ["pas", "aucun", "aucune", "sans", "ni", "non", "neant", "nul", "nulle", "no", "none", "not"]
)
AFTER_NEGATIONS = frozenset(phrase_key(w)[0] for w in ["non", "neant", "sans objet", "no", "none"])
_SENTENCE_END = re.compile(r"[.;!?\n]")

# Structured signals -> flag (and kind)
RESERVED_CODES = {"res-ws": [EA_ESAT, SIAE], "res-pub-ser": [ESS]}


@dataclass
class _Entry:
    flag: str
    kind: str | None
    text: str
    role: str  # "reservation", "beneficiary", "strong", "context", "criterion"


def _entries() -> list[tuple[tuple[str, ...], _Entry]]:
    out = []
    for kind, words in BENEFICIARIES.items():
        out += [(phrase_key(w), _Entry("reserved_contract", kind, w, "beneficiary")) for w in words]
    out += [(phrase_key(w), _Entry("reserved_contract", None, w, "reservation")) for w in RESERVATION_WORDS]
    out += [(phrase_key(w), _Entry("insertion_clause", None, w, "strong")) for w in INSERTION_STRONG]
    out += [(phrase_key(w), _Entry("insertion_clause", None, w, "context")) for w in INSERTION_CONTEXT]
    out += [(phrase_key(w), _Entry("social_criterion", None, w, "criterion")) for w in CRITERION]
    return out


_INDEX = PhraseIndex(_entries())


def _negated(toks: Tokens, start: int, end: int) -> bool:
    """A negation before the match in the same sentence, or "non"/"néant" right after it."""
    keys = toks.keys
    for j in range(max(0, start - 6), start):
        if keys[j] in NEGATIONS and not _SENTENCE_END.search(toks.gap(j, start)):
            return True
    for j in range(end, min(len(keys), end + 2)):
        if keys[j] in AFTER_NEGATIONS and not _SENTENCE_END.search(toks.gap(end - 1, j)):
            return True
    return False


class FlagDetector:
    window = 15  # tokens around "réservé" in which the beneficiaries must be named

    def detect(
        self, texts: dict[str, list[str]], signals: list[dict[str, Any]], tokenize: Callable[[str], Tokens] = tokens
    ) -> dict[str, Any]:
        flags: dict[str, dict[str, Any]] = {
            name: {"value": False, "evidence": []}
            for name in ("reserved_contract", "insertion_clause", "social_criterion")
        }
        kinds: list[str] = []

        def add(flag: str, evidence: dict[str, Any], kind_list: list[str] | None = None) -> None:
            flags[flag]["value"] = True
            if evidence not in flags[flag]["evidence"]:
                flags[flag]["evidence"].append(evidence)
            for k in kind_list or ():
                if k not in kinds:
                    kinds.append(k)

        for s in signals:
            name, value, where = s.get("signal"), str(s.get("value") or ""), s.get("where", "")
            ev = {"source": "structured", "field": where, "signal": name, "value": value}
            if name == "reserved_procurement":
                add("reserved_contract", ev, RESERVED_CODES.get(value) or self._v230_kinds(value))
            elif name == "reserved_execution" and value == "yes":
                add("reserved_contract", ev, [EA_ESAT])
            elif name == "social_objective":
                add("social_criterion", ev)
                if value == "opp":
                    add("insertion_clause", ev)
            elif name == "strategic_procurement" and value == "soc-obj" or name == "criteres_sociaux":
                add("social_criterion", ev)
            elif name in ("execution_conditions", "strategic_procurement_description"):
                texts.setdefault("conditions", []).append(value)
            elif name == "award_criterion":
                texts.setdefault("criteria", []).append(value)

        for field_name, values in texts.items():
            for text in values:
                self._text(field_name, text, tokenize, add)
        for name, flag in flags.items():
            if name == "reserved_contract":
                flag["kinds"] = kinds or ([UNSPECIFIED] if flag["value"] else [])
        return flags

    @staticmethod
    def _v230_kinds(value: str) -> list[str]:
        upper = value.upper()
        if "ATELIERS_PROTEGES" in upper or "EMPLOIS_PROTEGES" in upper:
            return [EA_ESAT]
        return [UNSPECIFIED]

    def _text(self, field_name: str, text: str, tokenize: Callable[[str], Tokens], add: Any) -> None:
        if not text:
            return
        toks = tokenize(text)
        matches = [m for m in _INDEX.find(toks, fuzzy=False) if not _negated(toks, m.start, m.end)]
        reservations = [m for m in matches if m.payload.role == "reservation"]
        for m in matches:
            entry: _Entry = m.payload
            span = toks.span_text(m.start, m.end)
            ev = {"source": "text", "field": field_name, "phrase": entry.text, "text": span}
            if entry.role == "reservation" and entry.text in SELF_SUFFICIENT:
                near = [b for b in matches if b.payload.role == "beneficiary" and abs(b.start - m.start) <= self.window]
                add("reserved_contract", ev, [b.payload.kind for b in near] or [UNSPECIFIED])
            elif entry.role == "beneficiary":
                if any(abs(r.start - m.start) <= self.window for r in reservations):
                    add("reserved_contract", ev, [entry.kind])
            elif entry.role == "strong" or entry.role == "context" and field_name != "title":
                add("insertion_clause", ev)
            elif entry.role == "criterion" and field_name in ("criteria", "notes", "description", "conditions"):
                add("social_criterion", ev)
        if "211" not in text and "rticle" not in text:  # cheap test before the legal-reference patterns
            return
        for pattern, flag, kind in LEGAL:
            for found in pattern.finditer(text):
                ev = {"source": "text", "field": field_name, "phrase": pattern.pattern, "text": found.group()}
                add(flag, ev, [kind] if kind else None)
