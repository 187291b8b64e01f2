"""The one normalized notice shape that every source (BOAMP, TED, buyer platforms) fills.

Every later stage (archive, classifier, alerts, newsletter) reads only this shape, never a source's raw
format, so a new source is a new mapper and nothing else. The raw record is kept verbatim beside it so
notices can be re-parsed when the mappers improve.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Any, Literal

Kind = Literal["prior_information", "contract_notice", "award", "other"]
Status = Literal["initial", "corrigendum", "cancellation"]
ContractType = Literal["works", "services", "supplies"]

KINDS: tuple[str, ...] = ("prior_information", "contract_notice", "award", "other")
STATUSES: tuple[str, ...] = ("initial", "corrigendum", "cancellation")
CONTRACT_TYPES: tuple[str, ...] = ("works", "services", "supplies")


@dataclass
class Buyer:
    name: str | None = None
    siret: str | None = None  # 14 digits, only when the notice gives one (APProch names the legal unit only: its SIREN)
    city: str | None = None
    postal_code: str | None = None


@dataclass
class Descriptor:
    """A BOAMP thesaurus descriptor (e.g. 239 "Nettoyage de locaux")."""

    code: str
    label: str | None = None


@dataclass
class Lot:
    number: str | None = None
    title: str | None = None
    description: str | None = None
    cpv: list[str] = field(default_factory=list)
    value: float | None = None
    currency: str | None = None
    nuts: list[str] = field(default_factory=list)


@dataclass
class Award:
    """One winner of one lot (or of the whole contract when `lot` is None)."""

    winner: str | None = None
    siret: str | None = None
    amount: float | None = None
    currency: str | None = None
    lot: str | None = None
    sme: bool | None = None
    award_date: date | None = None
    intended: bool = False  # a VEAT names the contractor the buyer intends to award to: not yet an award


@dataclass
class SocialSignal:
    """A social signal read from a *structured* field of the notice, with where it was found.

    `signal` names the kind (criteres_sociaux, reserved_procurement, reserved_execution, social_objective,
    strategic_procurement, execution_conditions); `value` is the code or text as the notice states it;
    `where` is the field path (and lot) it came from. The classifier turns these into flags.
    """

    signal: str
    value: str
    where: str


@dataclass
class Notice:
    source: str  # "boamp", "ted", "place", ...
    source_id: str  # the source's own identifier (BOAMP idweb, TED publication number, ...)
    url: str | None = None
    title: str | None = None
    description: str | None = None
    notes: str | None = None  # free text beside the object (conditions, criteria, extra info): clauses live here
    buyer: Buyer = field(default_factory=Buyer)
    kind: Kind = "other"
    status: Status = "initial"
    alt_ids: list[str] = field(default_factory=list)  # the same notice elsewhere: eForms notice UUID, ...
    previous_ids: list[str] = field(default_factory=list)  # earlier notices this one corrects/cancels/awards
    procedure_id: str | None = None  # the source's procedure id (eForms ContractFolderID, ...)
    reference: str | None = None  # the buyer's own reference of the consultation (joins platform twins)
    published: date | None = None
    deadline: datetime | None = None  # timezone-aware, always
    deadline_unknown: bool = False  # a deadline was given but could not be read: never treated as open
    cpv: list[str] = field(default_factory=list)  # 8-digit codes, main first
    descriptors: list[Descriptor] = field(default_factory=list)
    departements: list[str] = field(default_factory=list)  # "02", "2A", "974"
    nuts: list[str] = field(default_factory=list)
    place: str | None = None  # place of performance as the notice words it
    contract_type: ContractType | None = None
    value: float | None = None
    currency: str | None = None
    value_band: str | None = None  # the source's own band when it gives no figure (APProch "1M - 5M€"), verbatim
    expected_publication: date | None = None  # an upcoming purchase: when the buyer expects to publish the call
    lots: list[Lot] = field(default_factory=list)
    awards: list[Award] = field(default_factory=list)
    social: list[SocialSignal] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # values set aside on entry (notices.checks), with why
    raw: str | None = None  # the source record, verbatim

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.source_id)

    def to_dict(self, *, raw: bool = False) -> dict[str, Any]:
        """JSON-ready dict: dates as ISO strings, nested records as dicts (raw text only when asked)."""
        out = {name: _plain(getattr(self, name)) for name in _field_names(Notice) if name != "raw"}
        if raw:
            out["raw"] = self.raw
        return out


@cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def _plain(value: Any) -> Any:
    """Like dataclasses.asdict, without its deep copies (this runs for every archived notice)."""
    if isinstance(value, (str, int, float, type(None))):
        return value
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if dataclasses.is_dataclass(value):
        return {name: _plain(getattr(value, name)) for name in _field_names(type(value))}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value
