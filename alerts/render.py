"""Digest e-mails: Jinja2 templates (templates/), French formatting, headers that carry no scraped text.

Every scraped string reaches the HTML through Jinja2's autoescaping; the subject is built from our own
words (a count and theme labels) and stripped of line breaks anyway, so a title with "<script>" or a CR/LF
cannot inject markup or a header.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email import policy as email_policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape

from alerts.matching import Match
from alerts.subscribers import Subscriber
from alerts.tokens import Signer
from classify.cpv import label as cpv_label
from notices.checks import display_text, safe_url
from notices.dates import PARIS

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
JOURS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MOIS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
CHANGES = {
    "new": "Nouveau",
    "corrected": "Rectifié",
    "deadline": "Nouvelle date limite",
    "cancelled": "Annulé",
    "awarded": "Attribué",
    "updated": "Mis à jour",
}
RESERVED_KINDS = {
    "ea_esat": "entreprises adaptées / ESAT",
    "siae": "structures d'insertion (SIAE)",
    "ess": "entreprises de l'ESS",
    "unspecified": "marché réservé",
}
# Messages are written out with long header lines allowed (RFC 5322: 998), so List-Unsubscribe stays
# plain <URI>s instead of being folded into encoded words that mail clients would not read; the bodies,
# encoded when set, keep their short quoted-printable lines.
MAIL_POLICY = email_policy.SMTP.clone(max_line_length=998)
_LINE_BREAKS = re.compile(r"[\r\n\t\x00-\x1f]+")


def date_fr(value: str | None, *, with_time: bool = True) -> str:
    """ "2026-12-14T12:00:00+01:00" -> "lundi 14 décembre 2026 à 12 h" (Paris time)."""
    if not value:
        return ""
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    dt = (dt if dt.tzinfo else dt.replace(tzinfo=PARIS)).astimezone(PARIS)
    day = "1er" if dt.day == 1 else str(dt.day)
    text = f"{JOURS[dt.weekday()]} {day} {MOIS[dt.month - 1]} {dt.year}"
    if with_time:
        text += f" à {dt.hour} h" + (f" {dt.minute:02d}" if dt.minute else "")
    return text


def money_fr(value: float | None, currency: str | None = "EUR") -> str:
    if value is None:
        return ""
    whole = f"{value:,.0f}".replace(",", "\u202f")
    return f"{whole}\u00a0€" if (currency or "EUR") == "EUR" else f"{whole}\u00a0{currency}"


def header_safe(text: str, limit: int = 150) -> str:
    return _LINE_BREAKS.sub(" ", text).strip()[:limit]


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["date_fr"] = date_fr
    env.filters["money_fr"] = money_fr
    return env


def evidence_words(evidence: list[dict[str, Any]]) -> list[str]:
    """The strongest phrase the notice wrote, then a CPV code with its French label (or a BOAMP descriptor).

    Evidence comes strongest first from the classifier; at most one phrase and one code are shown.
    """
    words = []
    phrase = next((e for e in evidence if e.get("text")), None)
    if phrase:
        words.append(f"« {phrase['text']} »")
    cpv = next((e for e in evidence if e.get("field") == "cpv" and e.get("code")), None)
    if cpv:
        name = cpv_label(cpv["code"])
        words.append(f"CPV {cpv['code']} ({name})" if name else f"CPV {cpv['code']}")
    elif (desc := next((e for e in evidence if e.get("field") == "descriptors"), None)) is not None:
        words.append(f"descripteur « {desc.get('label') or desc.get('code')} »")
    return words


def why(match: Match, labels: dict[str, str], sub: Subscriber) -> list[str]:
    """Why a tender is in this subscriber's digest, in plain French, from the classifier's evidence."""
    out = []
    for reason in match.reasons:
        kind, _, value = reason.partition(":")
        if kind == "theme":
            words = evidence_words(match.item.themes.get(value, {}).get("evidence", []))
            out.append(f"{labels.get(value, value)} : {', '.join(words)}" if words else labels.get(value, value))
        else:
            out.append(f"mot-clé « {value} »")
    places = sorted(set(match.item.departements) & set(sub.all_departements))
    if places and not sub.national:
        out.append("dans votre territoire (" + ", ".join(places) + ")")
    return out


class DigestRenderer:
    def __init__(
        self,
        *,
        sender: str,
        public_url: str,
        unsubscribe_mailto: str,
        signer: Signer,
        theme_labels: dict[str, str],
        max_items: int,
        msgid_domain: str = "ess-tender-watch.local",
    ):
        self.env = environment()
        self.html = self.env.get_template("digest.html.j2")
        self.text = self.env.get_template("digest.txt.j2")
        self.sender = sender
        self.public_url = public_url.rstrip("/")
        self.unsubscribe_mailto = unsubscribe_mailto
        self.signer = signer
        self.labels = theme_labels
        self.max_items = max_items
        self.msgid_domain = msgid_domain

    def subject(self, matches: list[Match]) -> str:
        n = len(matches)
        counts: dict[str, int] = {}
        for m in matches:
            for r in m.reasons:
                if r.startswith("theme:"):
                    counts[r[6:]] = counts.get(r[6:], 0) + 1
        top = [self.labels.get(c, c) for c, _ in sorted(counts.items(), key=lambda x: (-x[1], x[0]))[:2]]
        noun = "marché public pour vous" if n == 1 else "marchés publics pour vous"
        return header_safe(f"{n} {noun}" + (f" : {', '.join(top)}" if top else ""))

    def context(self, sub: Subscriber, matches: list[Match]) -> dict[str, Any]:
        shown = matches[: self.max_items]
        unsubscribe = f"{self.public_url}/u/{self.signer.sign('u', sub.id)}"
        items = []
        for m in shown:
            item = m.item
            items.append(
                {
                    "title": display_text(item.title, 300) or "(sans titre)",
                    "buyer": display_text(item.buyer, 200),
                    "place": display_text(item.place, 120) or ", ".join(item.departements),
                    "deadline": date_fr(item.deadline) if item.deadline else None,
                    "value": money_fr(item.value, item.currency) if item.value else None,
                    "url": safe_url(item.url),
                    "change": "Résultat"
                    if m.change == "new" and item.category == "awards"
                    else CHANGES.get(m.change, m.change),
                    "is_update": m.change != "new",
                    "themes": [self.labels.get(c, c) for c in item.themes],
                    "reserved": [RESERVED_KINDS.get(k, k) for k in item.reserved_kinds]
                    if item.reserved_contract
                    else [],
                    "insertion": item.insertion_clause,
                    "social_criterion": item.social_criterion,
                    "event": item.event,
                    "why": why(m, self.labels, sub),
                    "sources": item.sources,
                    "feedback": f"{self.public_url}/f/{self.signer.sign('f', sub.id, item.procedure_id)}",
                }
            )
        return {
            "name": sub.name,
            "items": items,
            "more": len(matches) - len(shown),
            "unsubscribe": unsubscribe,
            "generated": date_fr(datetime.now(UTC).isoformat(), with_time=False),
        }

    def message(self, sub: Subscriber, matches: list[Match]) -> EmailMessage:
        ctx = self.context(sub, matches)
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = ", ".join(sub.emails)
        msg["Subject"] = self.subject(matches)
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = make_msgid("digest", domain=self.msgid_domain)
        token = self.signer.sign("u", sub.id)
        mailto = f"mailto:{self.unsubscribe_mailto}?subject={quote('unsubscribe ' + token)}"
        msg["List-Unsubscribe"] = f"<{self.public_url}/u/{token}>, <{mailto}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        msg["List-Id"] = f"Veille ESS <alerts.{self.msgid_domain}>"
        # quoted-printable keeps every line short (SMTP servers refuse lines over 998 octets)
        msg.set_content(self.text.render(**ctx), cte="quoted-printable")
        msg.add_alternative(self.html.render(**ctx), subtype="html", cte="quoted-printable")
        return msg
