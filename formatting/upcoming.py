"""How a call announced before its publication is said, in the digests and the newsletter alike."""

from __future__ import annotations

from formatting.french import date_fr


def _day(iso: str) -> str:
    return date_fr(iso[:10], with_time=False)


def announced_line(
    published: str | None,
    *,
    in_digest: str | None = None,
    announced_on: str | None = None,
    expected: str | None = None,
) -> str | None:
    """ "Annoncé dans votre veille du …", else "Annoncé le …" (the announcement's publication), else "Annoncé pour
    le …" (the expected day, when the announcement has no date of its own), then ", publié le …"; None when the
    call was not announced."""
    if in_digest:
        text = f"Annoncé dans votre veille du {_day(in_digest)}"
    elif announced_on:
        text = f"Annoncé le {_day(announced_on)}"
    elif expected:
        text = f"Annoncé pour le {_day(expected)}"
    else:
        return None
    return text + (f", publié le {_day(published)}" if published else "")
