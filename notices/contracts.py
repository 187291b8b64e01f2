"""The one normalized shape of an awarded contract (DECP, "données essentielles de la commande publique").

A contract is not a notice: it is what the buyer declares after signing (who won, for how much, with which
social considerations). Every DECP format (the 2.0.x JSON of contracts notified since 2024, the older JSON,
the consolidated tabular file) is mapped onto this shape by `notices.decp`, and every later stage (the
archive, the observatory, the partnering leads) reads only this shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

# The social considerations of the DECP schema (`considerationsSociales.considerationSociale[]`), mapped onto
# three canonical codes. "Pas de considération sociale" maps to none; an absent field leaves `social_stated`
# False (unknown, which is not the same as "none").
SocialConsideration = Literal["clause", "criterion", "reserved"]
SOCIAL_CONSIDERATIONS: dict[str, SocialConsideration] = {
    "Clause sociale": "clause",
    "Critère social": "criterion",
    "Marché réservé": "reserved",
}
NO_SOCIAL_CONSIDERATION = "Pas de considération sociale"


@dataclass
class Winner:
    """One holder (titulaire) of the contract; co-contractors of a group each have one."""

    id: str  # as declared: a SIRET (14 digits), a TVA number, ...
    id_type: str | None = None  # SIRET, TVA, TAHITI, RIDET, FRWF, IREP, HORS-UE
    name: str | None = None  # only some formats give it (consolidated file: `titulaire_nom`)

    @property
    def siren(self) -> str | None:
        """The legal unit (9 digits) when the id is a SIRET (or a SIREN): the companies register's key."""
        digits = self.id.replace(" ", "")
        if (self.id_type in (None, "SIRET", "SIREN")) and digits.isdigit() and len(digits) in (9, 14):
            return digits[:9]
        return None


@dataclass
class Modification:
    """A change to the contract after notification (amount, duration, holder)."""

    id: str
    notified: date | None = None
    published: date | None = None
    amount: float | None = None  # the new total amount when the modification sets one
    duration_months: int | None = None
    winners: list[Winner] = field(default_factory=list)  # new holders when the modification changes them


@dataclass
class Contract:
    uid: str  # buyer SIRET + the buyer's own id: unique nationally (as decp-processing builds it)
    id: str  # the buyer's own id of the contract
    source: str  # "decp" (the dataset it came from is in `dataset`)
    dataset: str | None = None  # the DECP source dataset / file, as given ("data.gouv.fr_pes", ...)
    nature: str | None = None  # Marché, Marché de partenariat, Marché de défense ou de sécurité
    buyer_siret: str | None = None
    buyer_name: str | None = None
    object: str | None = None
    cpv: str | None = None  # 8 digits, check digit dropped
    procedure: str | None = None
    notified: date | None = None  # date of notification of the initial contract
    published: date | None = None  # date the data was published
    duration_months: int | None = None
    amount: float | None = None  # current amount in euros HT (after the last modification that sets one)
    initial_amount: float | None = None
    place_code: str | None = None  # lieuExecution.code
    place_type: str | None = None  # Code postal, Code commune, Code département, Code région, Code pays
    departement: str | None = None  # derived from the place when it names one ("75", "2A", "974")
    social: list[SocialConsideration] = field(default_factory=list)
    social_stated: bool = False  # the record says something about social considerations (even "none")
    environmental: list[str] = field(default_factory=list)  # as stated, "Pas de considération..." dropped
    subcontracting_declared: bool | None = None
    grouping: str | None = None  # typeGroupementOperateurs: Conjoint, Solidaire, Pas de groupement
    framework_id: str | None = None  # idAccordCadre
    winners: list[Winner] = field(default_factory=list)
    modifications: list[Modification] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # values set aside on entry, with why
    raw: str | None = None  # the source record, verbatim: its JSON text, or its CSV line(s)
    raw_header: str | None = None  # the header line of the CSV file the raw line(s) come from

    @property
    def key(self) -> str:
        return self.uid
