"""Alerts before publication: what a digest says of an upcoming purchase, and of the call it became.

An upcoming purchase (archive.upcoming) goes into the digest's "À venir" block once, with the day its call is
expected and what to prepare; when its call is published, the call goes into the normal block once more,
marked "annoncé dans votre veille du …" with the day this subscriber's digest told of it. Both rest on the
`sent_items` rows of the private store, written in the outbox's transaction (alerts.outbox): a re-run or a
crash never sends either twice.
"""

from __future__ import annotations

import sqlite_utils

from alerts.items import Item
from alerts.matching import Match
from formatting import date_fr, display_text
from formatting import upcoming as upcoming_words

# What to get ready, by theme: short and concrete (the documents a buyer asks for, what proves capacity).
PREPARE_BY_THEME = {
    "insertion_emploi": "vos références d'insertion (heures réalisées, sorties positives) et votre encadrement",
    "dechets_chantier": "vos filières de valorisation, votre matériel de collecte et vos autorisations",
    "mobilite_verte": "votre parc (vélos, véhicules), vos ateliers et leurs capacités",
    "usages_ephemeres": "vos références d'événements et votre matériel disponible",
    "efficacite_energetique": "vos qualifications (RGE) et vos chantiers de rénovation",
    "agriculture_proximite": "vos volumes, votre calendrier de production et vos labels",
    "restauration_solidaire": "votre agrément sanitaire, des menus types et vos capacités de production",
    "accessibilite_handicap": "vos références d'accessibilité et les compétences de vos équipes",
    "tourisme_solidaire": "vos capacités d'accueil et vos références de séjours",
    "surete_equipements": "vos équipements, vos habilitations et vos contrats de maintenance",
}
PREPARE_BY_RESERVATION = {
    "ea_esat": "votre reconnaissance EA ou ESAT",
    "siae": "votre conventionnement IAE",
    "ess": "la preuve de votre appartenance à l'ESS",
}
PREPARE_ALWAYS = "vos références, vos attestations (URSSAF, fiscale, assurance) et votre capacité (effectifs, moyens)"


def what_to_prepare(item: Item, profile_themes: list[str] | tuple[str, ...] = ()) -> str:
    """What to get ready, shown after "À préparer :" ("votre reconnaissance EA ou ESAT ; vos filières …")."""
    parts = [PREPARE_BY_RESERVATION[k] for k in item.reserved_kinds if k in PREPARE_BY_RESERVATION]
    best = sorted(item.themes.items(), key=lambda t: (-t[1].get("score", 0), t[0]))
    # the purchase's best theme, else (a keyword matched it) the subscriber's own first theme
    codes = [code for code, _ in best[:1]] or list(profile_themes[:1])
    parts += [PREPARE_BY_THEME[code] for code in codes if code in PREPARE_BY_THEME]
    if item.insertion_clause and "insertion_emploi" not in codes:
        parts.append("votre capacité à accueillir des heures d'insertion")
    parts.append(PREPARE_ALWAYS)
    return " ; ".join(parts) + "."


def expected_line(item: Item) -> str | None:
    """ "lundi 6 mai 2024" (the day the buyer expects to publish the call), or None when not given."""
    return date_fr(item.expected_publication, with_time=False) if item.expected_publication else None


def band_line(band: str | None) -> str | None:
    """The source's value band as it gives it ("1M - 5M€"), said to be a band."""
    text = display_text(band, 60)
    return f"{text} (fourchette de l'acheteur)" if text else None


def announced_line(item: Item, announced_in: str | None) -> str | None:
    """ "Annoncé dans votre veille du lundi 19 février 2024, publié le …" / "Annoncé le …, publié le …"."""
    return upcoming_words.announced_line(
        item.call_published, in_digest=announced_in, announced_on=item.announced_on, expected=item.announced_for
    )


def mark_announced(private: sqlite_utils.Database, subscriber_id: int, matches: list[Match]) -> None:
    """Set `announced_in` on the calls this subscriber was first told of as upcoming purchases: the day of
    that digest (its `sent_items` row, for the announcing tender or, when the call joined the same
    procedure, for this very tender, before the new digest replaces the row)."""
    wanted: dict[str, list[Match]] = {}
    for m in matches:
        if m.item.category != "open":
            continue
        keys = list(m.item.announced_by)
        if m.change == "published":
            keys.append(m.item.procedure_id)
        for key in keys:
            wanted.setdefault(key, []).append(m)
    if not wanted:
        return
    keys = sorted(wanted)
    marks = ", ".join("?" for _ in keys)
    rows = private.execute(
        f"select procedure_id, sent_at from sent_items where subscriber_id = ? and procedure_id in ({marks})",
        [subscriber_id, *keys],
    ).fetchall()
    for procedure_id, sent_at in rows:
        for m in wanted[procedure_id]:
            if sent_at and (m.announced_in is None or sent_at < m.announced_in):
                m.announced_in = sent_at
