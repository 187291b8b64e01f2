"""What one part of a record states for the fields several parts of it can give.

A BOAMP record gives a title in its flat fields and again in its form (`donnees`), a deadline in `gestion`,
in the form and in the flat `datelimitereponse`; a TED result gives them in the search fields and again in
its eForms XML. The readers of each part return a `Stated` instead of writing the notice, and the mapper of
the source (`notices.boamp.parse_record`, `notices.ted.parse_search_notice`, `notices.eforms.fill`) sets
each field once, with its precedence written down there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass
class Stated:
    title: str | None = None
    deadline: datetime | None = None
    # The part has a deadline field (`deadline` may still be None: a date that cannot be read). A part that
    # states one decides the deadline: another part's date does not replace it.
    deadline_stated: bool = False

    def state_deadline(self, value: datetime | None) -> None:
        self.deadline, self.deadline_stated = value, True
