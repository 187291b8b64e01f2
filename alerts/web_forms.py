"""What the web pages ask and say: the profile form's French labels, reading it back, CSRF, rate limits.

Kept apart from alerts/web.py (the Starlette application) so that the words and the checks can be read
and tested without a server.
"""

from __future__ import annotations

import hmac
import re
import secrets
import threading
import time
from collections import defaultdict, deque
from typing import Any

from alerts import geo
from alerts.subscribers import KINDS, Subscriber, SubscriberError, validate
from alerts.tokens import Signer, check, issue
from classify.taxonomy import load as load_taxonomy

KIND_LABELS = {
    "EI": "SIAE — entreprise d'insertion (EI)",
    "AI": "SIAE — association intermédiaire (AI)",
    "ACI": "SIAE — atelier et chantier d'insertion (ACI)",
    "ETTI": "SIAE — entreprise de travail temporaire d'insertion (ETTI)",
    "GEIQ": "Groupement d'employeurs pour l'insertion et la qualification (GEIQ)",
    "EA": "Entreprise adaptée (EA)",
    "ESAT": "Établissement et service d'accompagnement par le travail (ESAT)",
    "association": "Association",
    "cooperative": "Coopérative (SCOP, SCIC…)",
    "other": "Autre structure de l'ESS",
}
assert set(KIND_LABELS) == set(KINDS)

# One short French sentence per theme (its scope for a structure choosing themes): `description` in the taxonomy.
THEME_HELP = {t.code: t.description for t in load_taxonomy().themes}

NOTICE_KIND_LABELS = {
    "upcoming": "Marchés à venir (avis de pré-information)",
    "open": "Appels d'offres ouverts",
    "awards": "Résultats (marchés attribués : sous-traitance, prochain renouvellement)",
    "leads": "Pistes de partenariat (grandes entreprises titulaires, marchés à plusieurs)",
}
FREQUENCY_LABELS = {"each_run": "À chaque collecte", "daily": "Chaque jour", "weekly": "Chaque semaine"}

# SubscriberError names the field ("subscriber, emails: ..."): the web says it in French, beside the field.
FIELD_ERRORS = {
    "name": "Indiquez le nom de votre structure.",
    "emails": "Indiquez au moins une adresse e-mail valide (plusieurs : séparées par des virgules).",
    "kind": "Choisissez le type de structure.",
    "siret": "Ce SIRET n'est pas valide : 14 chiffres (laissez vide si vous ne le connaissez pas).",
    "themes": "Choisissez au moins un thème, ou indiquez des mots-clés.",
    "departements": "Indiquez des départements (par exemple 76, 27), des régions, ou toute la France.",
    "regions": "Une région choisie n'est pas connue.",
    "keywords": "Vérifiez les mots-clés.",
    "notice_kinds": "Choisissez au moins un type d'avis.",
    "frequency": "Choisissez une fréquence.",
    "value_min": "Indiquez un montant en euros (par exemple 20000), ou laissez vide.",
    "value_max": "Indiquez un montant en euros supérieur au minimum, ou laissez vide.",
}

MAX_NAME = 150
MAX_FIELD = 500


def regions() -> list[tuple[str, str]]:
    return sorted(((code, name) for code, (name, _) in geo.REGIONS.items()), key=lambda r: r[1])


def profile_from_form(form: Any) -> tuple[Subscriber | None, dict[str, str], dict[str, Any]]:
    """(the validated profile or None, French errors by field, the values to show again in the form)."""

    def one(key: str) -> str:
        return str(form.get(key) or "").strip()[:MAX_FIELD]

    values: dict[str, Any] = {
        "name": one("name")[:MAX_NAME],
        "kind": one("kind"),
        "siret": one("siret"),
        "emails": one("emails"),
        "themes": [t for t in form.getlist("themes") if t in THEME_HELP],
        "departements": one("departements"),
        "regions": [r for r in form.getlist("regions") if r in geo.REGIONS],
        "national": bool(form.get("national")),
        "keywords": one("keywords"),
        "exclude_keywords": one("exclude_keywords"),
        "value_min": one("value_min"),
        "value_max": one("value_max"),
        "notice_kinds": [k for k in form.getlist("notice_kinds") if k in NOTICE_KIND_LABELS],
        "frequency": one("frequency") or "daily",
    }
    errors: dict[str, str] = {}
    if values["kind"] not in KIND_LABELS:
        errors["kind"] = FIELD_ERRORS["kind"]
    if not values["notice_kinds"]:
        errors["notice_kinds"] = FIELD_ERRORS["notice_kinds"]
    if any(c in values["name"] for c in "\r\n\t\x00"):
        errors["name"] = FIELD_ERRORS["name"]
    data = {**values, "origin": "web", "kind": values["kind"] if values["kind"] in KIND_LABELS else "other"}
    sub = None
    for _ in range(len(FIELD_ERRORS)):  # validate() stops at the first wrong field: collect them one by one
        try:
            sub = validate(data, "web")
            break
        except SubscriberError as exc:
            field = re.match(r"web, (\w+):", str(exc))
            key = field.group(1) if field and field.group(1) in FIELD_ERRORS else "name"
            errors.setdefault(key, FIELD_ERRORS[key])
            data = {**data, **_neutral(key)}
    return (None if errors else sub), errors, values


def _neutral(key: str) -> dict[str, Any]:
    """A harmless value for a wrong field, so that validation goes on to find the next wrong one."""
    return {
        "name": {"name": "x"},
        "emails": {"emails": "x@example.org"},
        "kind": {"kind": "other"},
        "siret": {"siret": ""},
        "themes": {"themes": ["insertion_emploi"]},
        "departements": {"departements": "75", "regions": []},
        "regions": {"regions": []},
        "keywords": {"keywords": "x"},
        "notice_kinds": {"notice_kinds": ["open"]},
        "frequency": {"frequency": "daily"},
        "value_min": {"value_min": ""},
        "value_max": {"value_max": "", "value_min": ""},
    }[key]


def values_of(sub: Subscriber) -> dict[str, Any]:
    """A stored profile as the form shows it."""
    return {
        "name": sub.name,
        "kind": sub.kind,
        "siret": sub.siret or "",
        "emails": ", ".join(sub.emails),
        "themes": list(sub.themes),
        "departements": ", ".join(sub.departements),
        "regions": list(sub.regions),
        "national": sub.national,
        "keywords": ", ".join(sub.keywords),
        "exclude_keywords": ", ".join(sub.exclude_keywords),
        "value_min": "" if sub.value_min is None else f"{sub.value_min:g}",
        "value_max": "" if sub.value_max is None else f"{sub.value_max:g}",
        "notice_kinds": list(sub.notice_kinds),
        "frequency": sub.frequency,
    }


# -- CSRF: a random cookie per browser, and in each form a signed, expiring token bound to it and to the form --
CSRF_COOKIE = "veille_csrf"
CSRF_TTL = 4 * 3600


def new_csrf_cookie() -> str:
    return secrets.token_urlsafe(18)


def csrf_field(signer: Signer, cookie: str, form: str) -> str:
    return issue(signer, "csrf", form, cookie, ttl=CSRF_TTL)


def csrf_ok(signer: Signer, cookie: str | None, form: str, field: str | None) -> bool:
    if not cookie or not field:
        return False
    parts = check(signer, field, "csrf")
    return bool(parts) and len(parts) == 2 and parts[0] == form and hmac.compare_digest(parts[1], cookie)


class RateLimit:
    """At most `limit` events per key in a sliding `window` (seconds), in memory (one web process)."""

    def __init__(self, limit: int, window: float, clock: Any = time.monotonic):
        self.limit, self.window, self.clock = limit, window, clock
        self.events: dict[str, deque[float]] = defaultdict(deque)
        self.lock = threading.Lock()

    def allow(self, *keys: str) -> bool:
        """True (and counted for every key) when no key is over its limit."""
        now = self.clock()
        with self.lock:
            queues = [self.events[k] for k in keys]
            for q in queues:
                while q and q[0] <= now - self.window:
                    q.popleft()
            if any(len(q) >= self.limit for q in queues):
                return False
            for q in queues:
                q.append(now)
            if len(self.events) > 10_000:  # forget idle keys
                for k in [k for k, q in self.events.items() if not q]:
                    del self.events[k]
            return True
