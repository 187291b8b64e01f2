"""The one shape of what the companies register knows about a legal unit (keyed by SIREN).

Built from files an operator downloads (the INSEE Sirene stock of legal units, the inclusive-employment
lists of SIAE, EA and ESAT) by `notices.registers`. Unknown stays unknown (None): nothing is guessed from a
name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Size = Literal["TPE", "PME", "ETI", "GE"]
SIZES: tuple[str, ...] = ("TPE", "PME", "ETI", "GE")
# Inclusive-employment structures: the four SIAE kinds, GEIQ, and the two disability-employment kinds.
InclusiveKind = Literal["EI", "ACI", "AI", "ETTI", "GEIQ", "EA", "ESAT"]
INCLUSIVE_KINDS: tuple[str, ...] = ("EI", "ACI", "AI", "ETTI", "GEIQ", "EA", "ESAT")


@dataclass
class Company:
    siren: str  # 9 digits
    name: str | None = None
    ess: bool | None = None  # Sirene `economieSocialeSolidaireUniteLegale` O/N; None when not stated
    inclusive_kind: InclusiveKind | None = None
    size: Size | None = None  # Sirene `categorieEntreprise` (PME/ETI/GE), TPE when a PME has under 10 staff
    headcount_band: str | None = None  # Sirene `trancheEffectifsUniteLegale` ("00", "01", ..., "NN")
    naf: str | None = None
    legal_category: str | None = None
    sources: list[str] = field(default_factory=list)  # the register files that told us something
