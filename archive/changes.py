"""What a corrigendum changed: the facts of a tender's notice set against the notice it corrects.

A corrigendum (BOAMP RECTIFICATIF, eForms change notice) is stored as its own notice, linked to the
tender; the reader wants "deadline moved from 13 to 20 March", not a second copy of the call. The facts
compared are the ones the notices carry as fields (deadline, estimated value, title, buyer, place), so the
same comparison serves the digests and the newsletter. A fact the corrigendum leaves empty is not a change.
"""

from __future__ import annotations

from dataclasses import dataclass

from archive.tenders import Tender, TenderNotice

FIELDS = ("deadline_utc", "value", "title", "buyer_name", "place")


@dataclass(frozen=True)
class Change:
    field: str  # one of FIELDS ("deadline_utc": the instant of the deadline)
    before: object
    after: object


def corrected(tender: Tender, notice: TenderNotice) -> TenderNotice | None:
    """The notice `notice` corrects: the latest earlier notice of the tender that is not a cancellation."""
    earlier = [n for n in tender.notices if n is not notice and _before(n, notice) and n.status != "cancellation"]
    return earlier[-1] if earlier else None


def changes(tender: Tender, notice: TenderNotice | None = None) -> list[Change]:
    """What `notice` (default: the tender's latest corrigendum) changed against the notice it corrects."""
    if notice is None:
        corrigenda = [n for n in tender.notices if n.status == "corrigendum"]
        if not corrigenda:
            return []
        notice = corrigenda[-1]
    previous = corrected(tender, notice)
    if previous is None:
        return []
    out = []
    for name in FIELDS:
        before, after = getattr(previous, name), getattr(notice, name)
        if after not in (None, "") and before != after:
            out.append(Change(name, before, after))
    return out


def _before(a: TenderNotice, b: TenderNotice) -> bool:
    """`a` was published before `b` (by position in the procedure, then publication day)."""
    if a.position is not None and b.position is not None:
        return a.position < b.position
    return (a.published or "") < (b.published or "")
