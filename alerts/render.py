"""Digest e-mails: the content of a subscriber's digest, rendered with the templates (templates/) and the
French formatting of `formatting`, built into a message by `mail.message` (headers that carry no scraped text).

Every scraped string reaches the HTML through Jinja2's autoescaping; the subject is built from our own
words (a count and theme labels) and stripped of line breaks anyway (and again by the message builder), so a
title with "<script>" or a CR/LF cannot inject markup or a header.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any
from urllib.parse import quote

from alerts.matching import Match
from alerts.subscribers import Subscriber
from alerts.tokens import Signer
from classify.cpv import label as cpv_label
from formatting import RESERVED_KINDS, date_fr, display_text, environment, money_fr, safe_url
from mail import message as mail_message

logger = logging.getLogger(__name__)

CHANGES = {
    "new": "Nouveau",
    "corrected": "Rectifié",
    "deadline": "Nouvelle date limite",
    "cancelled": "Annulé",
    "awarded": "Attribué",
    "updated": "Mis à jour",
}


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
        msgid_domain: str | None = None,
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
        self.msgid_domain = msgid_domain or mail_message.sender_domain(sender)
        # RFC 8058: one-click unsubscription is a POST to an https URI; over http the header is left out
        self.one_click = self.public_url.startswith("https://")
        if not self.one_click:
            logger.warning(
                "alerts.public_url %s is not https: digests carry List-Unsubscribe without the one-click header",
                self.public_url,
            )

    def subject(self, matches: list[Match]) -> str:
        n = len(matches)
        counts: dict[str, int] = {}
        for m in matches:
            for r in m.reasons:
                if r.startswith("theme:"):
                    counts[r[6:]] = counts.get(r[6:], 0) + 1
        top = [self.labels.get(c, c) for c, _ in sorted(counts.items(), key=lambda x: (-x[1], x[0]))[:2]]
        noun = "marché public pour vous" if n == 1 else "marchés publics pour vous"
        return mail_message.header_safe(
            f"{n} {noun}" + (f" : {', '.join(top)}" if top else ""), mail_message.SUBJECT_LIMIT
        )

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
        token = self.signer.sign("u", sub.id)
        mailto = f"mailto:{self.unsubscribe_mailto}?subject={quote('unsubscribe ' + token)}"
        return mail_message.build(
            kind="digest",
            sender=self.sender,
            to=sub.emails,
            subject=self.subject(matches),
            text=self.text.render(**ctx),
            html=self.html.render(**ctx),
            unsubscribe=[f"{self.public_url}/u/{token}", mailto],
            one_click=self.one_click,
            list_id=f"Veille ESS <alerts.{self.msgid_domain}>",
            domain=self.msgid_domain,
        )
