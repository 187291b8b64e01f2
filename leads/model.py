"""The one shape of a partnering lead, and the rules that make one (from the `leads.*` settings).

A lead is a contract (awarded) or a tender (open) an ESS structure could work on beside someone else:
- `award`: a contract in an ESS theme won by a large firm (ETI or GE in the companies register, joined by
  SIREN; a winner the register does not know, or knows as ESS or inclusive, gives no lead: nothing is
  guessed from a name). Stronger with an insertion clause ("ce titulaire doit réaliser des heures
  d'insertion") or declared subcontracting;
- `open`: a call in an ESS theme too large for a small structure alone: several lots, several départements,
  or (per structure, at matching time) an estimated value above `large_multiple` times its usual size.
Reasons carry a code (what tests and counts read) and the French wording (what readers read).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from settings import Config

LeadKind = Literal["award", "open"]
SIZE_WORDS = {"GE": "grande entreprise", "ETI": "entreprise de taille intermédiaire"}
GROUPING = "groupement possible"
# the reasons of an award lead, strongest first (the order they are shown and the digest is sorted by)
AWARD_REASONS = ("insertion_hours", "subcontracting", "large_winner")
OPEN_REASONS = ("several_lots", "several_departements", "large_value")


@dataclass(frozen=True)
class Reason:
    code: str  # one of AWARD_REASONS or OPEN_REASONS
    text: str  # French: a whole phrase for an award reason, the detail of "groupement possible" for an open one


@dataclass
class Lead:
    key: str  # stable: "award:<procedure or decp:uid>:<siren>" or "open:<procedure>"; sent once per subscriber
    kind: LeadKind
    reasons: list[Reason]
    source: str  # decp, boamp, ted, or a platform
    reference: str  # the DECP uid, or the notice's source:source_id
    procedure_id: str | None
    title: str
    buyer: str | None
    amount: float | None  # awarded (this winner's lots) or estimated (open)
    currency: str | None
    day: str | None  # ISO: notified / award notice published (award), published (open)
    themes: list[str]
    departements: list[str]
    winner: str | None = None
    winner_siren: str | None = None
    winner_size: str | None = None
    deadline: str | None = None  # open: as the notice gives it
    deadline_utc: str | None = None
    lots: int = 0
    place: str | None = None  # the place of performance as the notice words it
    url: str | None = None
    evidence: list[str] = field(default_factory=list)  # where each reason was read, in French

    @property
    def codes(self) -> list[str]:
        return [r.code for r in self.reasons]


def wording(kind: LeadKind, reasons: list[Reason]) -> str:
    """The one sentence a reader sees: "ce titulaire doit réaliser des heures d'insertion ; ..." for an award,
    "groupement possible : 4 lots, 3 départements" for an open tender."""
    if kind == "open":
        return f"{GROUPING} : " + ", ".join(r.text for r in reasons)
    return " ; ".join(r.text for r in reasons)


@dataclass(frozen=True)
class Rules:
    """The `leads.*` settings."""

    large_sizes: frozenset[str] = frozenset({"ETI", "GE"})
    large_multiple: float = 3.0
    usual_size: float = 150_000.0  # euros HT: a small structure's usual contract, when its profile says nothing
    usual_size_by_kind: dict[str, float] = field(default_factory=dict)
    min_lots: int = 2
    min_departements: int = 2
    award_days: int = 365
    max_items: int = 10

    @classmethod
    def from_config(cls, config: Config) -> Rules:
        return cls(
            large_sizes=frozenset(config["leads.large_sizes"]),
            large_multiple=float(config["leads.large_multiple"]),
            usual_size=float(config["leads.usual_size"]),
            usual_size_by_kind={k: float(v) for k, v in config["leads.usual_size_by_kind"].items()},
            min_lots=config["leads.min_lots"],
            min_departements=config["leads.min_departements"],
            award_days=config["leads.award_days"],
            max_items=config["leads.max_items"],
        )

    def usual_for(self, kind: str | None, value_max: float | None) -> float:
        """A structure's usual contract size: the largest it asks for (value_max), else its kind's default."""
        if value_max:
            return value_max
        return self.usual_size_by_kind.get(kind or "", self.usual_size)
