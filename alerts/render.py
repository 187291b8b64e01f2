"""Digest e-mails: the content of a subscriber's digest, rendered with the templates (templates/) and the
French formatting of `formatting`, built into a message by `mail.message` (headers that carry no scraped text).

Every scraped string reaches the HTML through Jinja2's autoescaping; the subject is built from our own
words (a count and theme labels) and stripped of line breaks anyway (and again by the message builder), so a
title with "<script>" or a CR/LF cannot inject markup or a header.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any
from urllib.parse import quote

from alerts import upcoming
from alerts.items import Item
from alerts.matching import Match
from alerts.partnering import view as lead_view
from alerts.subscribers import Subscriber
from alerts.tokens import TTL, Signer, issue
from classify.cpv import label as cpv_label
from formatting import RESERVED_KINDS, date_fr, display_text, environment, money_fr, safe_url
from formatting.buyers import short_buyer
from formatting.places import departement_label, place_label
from leads.model import Lead
from mail import message as mail_message

logger = logging.getLogger(__name__)

CHANGES = {
    "new": "Nouveau",
    "corrected": "Rectifié",
    "deadline": "Nouvelle date limite",
    "cancelled": "Annulé",
    "awarded": "Attribué",
    "updated": "Mis à jour",
    "published": "Publié",
}

NEW_LABELS = {"award": "Résultat", "corrigendum": "Rectifié", "upcoming": "À venir", "cancelled": "Annulé"}


def evidence_words(evidence: list[dict[str, Any]]) -> list[str]:
    """The strongest phrase the notice wrote, then a CPV code with its French label (or a BOAMP descriptor).

    Evidence comes strongest first from the classifier; at most one phrase and one code are shown. A CPV
    code is only ever shown with its label: a bare "CPV 15811000" tells a reader nothing, so a code the
    vocabulary does not know is left out (the descriptor, when there is one, is shown instead).
    """
    words = []
    phrase = next((e for e in evidence if e.get("text")), None)
    if phrase:
        words.append(f"« {phrase['text']} »")
    cpv = next((e for e in evidence if e.get("field") == "cpv" and e.get("code") and cpv_label(str(e["code"]))), None)
    if cpv:
        words.append(f"CPV {cpv['code']} ({cpv_label(str(cpv['code']))})")
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
        out.append("dans votre territoire : " + ", ".join(departement_label(d) for d in places))
    return out


def plural(n: int, one: str, many: str) -> str:
    """ "1 marché public", "3 marchés publics" (French: 0 and 1 take the singular)."""
    return f"{n} {one if n <= 1 else many}"


def count_line(n: int) -> str:
    """ "1 marché public correspond à votre profil." / "3 marchés publics correspondent à votre profil." """
    verb = "correspond" if n <= 1 else "correspondent"
    return f"{plural(n, 'marché public', 'marchés publics')} {verb} à votre profil."


def block_of(match: Match) -> str:
    """Which block a tender gets: cancelled, award, corrigendum, upcoming (prior information) or call."""
    item = match.item
    if item.state == "cancelled" or match.change == "cancelled":
        return "cancelled"
    if item.category == "awards":
        return "award"
    if item.changes or match.change in ("corrected", "deadline"):
        return "corrigendum"
    if item.category == "upcoming":
        return "upcoming"
    return "call"  # a call published after its announcement ("published") too


ADVICE = {
    "call": "Lisez l'avis, téléchargez le dossier de consultation sur le profil d'acheteur, et pensez au "
    "groupement avec d'autres structures si le marché est trop grand pour vous seul.",
    "upcoming": "Le marché n'est pas encore lancé : faites-vous connaître de l'acheteur et préparez votre "
    "dossier ; la veille vous signalera l'appel d'offres.",
    "interest": "L'acheteur n'invitera à remettre une offre que les entreprises qui ont manifesté leur intérêt : "
    "manifestez le vôtre avant la date limite, sur le profil d'acheteur.",
    "corrigendum": "L'avis a été rectifié : relisez les pièces modifiées du dossier de consultation et ajustez "
    "votre offre avant la date limite.",
    "award": "Ce marché est attribué : on ne peut plus y répondre. Proposez au titulaire une sous-traitance ou "
    "une cotraitance (les clauses d'insertion se confient souvent à des structures de l'ESS), et notez la durée "
    "du marché pour préparer son prochain renouvellement.",
    "cancelled": "Cette consultation est annulée : n'envoyez pas d'offre. L'acheteur la relance souvent sous "
    "une autre forme ; la veille vous préviendra si elle revient.",
}


def change_sentences(item: Item) -> list[str]:
    """What the latest corrigendum changed, in French ("Date limite repoussée du … au …")."""
    out = []
    for c in item.changes:
        if c.field == "deadline_utc":
            after = date_fr(str(c.after))
            if not c.before:
                out.append(f"Date limite fixée au {after}")
            else:
                moved = "repoussée" if str(c.after) > str(c.before) else "avancée"
                out.append(f"Date limite {moved} du {date_fr(str(c.before))} au {after}")
        elif c.field == "value":
            after = money_fr(float(c.after), item.currency)  # type: ignore[arg-type]
            if c.before is None:
                out.append(f"Montant estimé précisé : {after}")
            else:
                out.append(f"Montant estimé modifié : {money_fr(float(c.before), item.currency)} → {after}")  # type: ignore[arg-type]
        elif c.field == "title":
            out.append(f"Intitulé modifié (auparavant : « {display_text(str(c.before or ''), 200) or '—'} »)")
        elif c.field == "buyer_name":
            out.append(f"Acheteur modifié (auparavant : {short_buyer(str(c.before or '')) or '—'})")
        elif c.field == "place":
            out.append(f"Lieu modifié (auparavant : {display_text(str(c.before or ''), 120) or '—'})")
    return out


def _lot(lot: str | None) -> str | None:
    if not lot:
        return None
    m = re.fullmatch(r"(?i)lot[-_ ]?0*(\d+)", lot.strip())
    return f"lot {m.group(1)}" if m else f"lot {display_text(lot, 40)}"


def award_lines(item: Item, limit: int = 8) -> tuple[list[str], tuple[str, str] | None, str | None]:
    """(one line per winner and lot, (label, the award date), the total amount) of an awarded tender."""
    seen, lines, amounts, days = set(), [], [], set()
    for a in item.awards:
        key = (a.winner, a.lot, a.amount)
        if key in seen or not (a.winner or a.amount):
            continue
        seen.add(key)
        line = display_text(a.winner, 150) or "titulaire non précisé"
        lot = _lot(a.lot)
        if lot:
            line += f" ({lot})"
        if a.amount:
            line += f" : {money_fr(a.amount, a.currency or item.currency)}"
            amounts.append((a.amount, a.currency or item.currency))
        if a.intended:
            line += " — attribution envisagée"
        lines.append(line)
        if a.award_date:
            days.add(a.award_date)
    if len(lines) > limit:
        rest = len(lines) - limit
        lines = lines[:limit] + [f"… et {plural(rest, 'autre attribution', 'autres attributions')} (voir l'avis)"]
    if len(days) == 1:
        when = ("Date d'attribution", date_fr(next(iter(days)), with_time=False))
    elif days:
        first, last = (date_fr(d, with_time=False) for d in (min(days), max(days)))
        when = ("Dates d'attribution", f"du {first} au {last}")
    elif item.awarded_on:
        when = ("Avis d'attribution", "publié le " + date_fr(item.awarded_on, with_time=False))
    else:
        when = None
    currencies = {c for _, c in amounts}
    total = (
        money_fr(sum(v for v, _ in amounts), currencies.pop()) if len(amounts) > 1 and len(currencies) == 1 else None
    )
    return lines, when, total


def flags(item: Item) -> list[dict[str, str]]:
    """The social flags and event as badges (the same words in the HTML and the text part)."""
    out = []
    if item.reserved_contract:
        kinds = ", ".join(RESERVED_KINDS.get(k, k) for k in item.reserved_kinds) or RESERVED_KINDS["unspecified"]
        out.append({"text": f"Marché réservé : {kinds}", "style": "reserved"})
    if item.insertion_clause:
        out.append({"text": "Clause d'insertion", "style": "insertion"})
    if item.social_criterion:
        out.append({"text": "Critère social", "style": "criterion"})
    if item.event:
        out.append({"text": display_text(item.event, 80) or "", "style": "event"})
    return out


LEADS_INTRO = (
    "Des marchés de vos thèmes et de votre territoire où travailler avec d'autres : un grand titulaire qui doit "
    "réaliser des heures d'insertion ou sous-traiter, un marché trop grand pour une structure seule."
)


def lead_count(n: int) -> str:
    """ " ; 2 pistes de partenariat" (nothing without leads): what the preheader adds to the tenders."""
    return f" ; {plural(n, 'piste de partenariat', 'pistes de partenariat')}" if n else ""


def leads_line(n: int) -> str:
    """ "Aucun nouveau marché ... : 2 pistes de partenariat pour votre structure." (a digest of leads only)"""
    return (
        "Aucun nouveau marché ne correspond à votre profil aujourd'hui, mais "
        + plural(n, "piste de partenariat s'offre", "pistes de partenariat s'offrent")
        + " à votre structure."
    )


def preheader(matches: list[Match], total: int) -> str:
    """The hidden first line of the HTML, what the inbox shows beside the subject."""
    text = plural(total, "marché pour vous", "marchés pour vous")
    reserved = sum(1 for m in matches if m.item.reserved_contract)
    awarded = sum(1 for m in matches if block_of(m) == "award")
    coming = sum(1 for m in matches if block_of(m) == "upcoming")
    parts = []
    if reserved:
        parts.append(plural(reserved, "réservé", "réservés"))
    if awarded:
        parts.append(plural(awarded, "attribué", "attribués"))
    if coming:
        parts.append(f"{coming} à venir")
    if parts:
        text += ", dont " + " et ".join(parts)
    open_deadlines = [
        m.item.deadline_utc for m in matches if m.item.deadline_utc and block_of(m) not in ("award", "cancelled")
    ]
    if open_deadlines:
        text += " — date limite la plus proche : " + date_fr(min(open_deadlines))
    return text


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
        quiet: bool = False,
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
        if not self.one_click and not quiet:
            logger.warning(
                "alerts.public_url %s is not https: digests carry List-Unsubscribe without the one-click header",
                self.public_url,
            )

    def token(self, purpose: str, *parts: str | int | None) -> str:
        """A signed link token for one purpose, expiring (alerts.tokens.TTL)."""
        return issue(self.signer, purpose, *(str(p) for p in parts), ttl=TTL[purpose])

    def subject(self, matches: list[Match], leads: list[Lead] | tuple[Lead, ...] = ()) -> str:
        n = len(matches)
        if not n and leads:  # a digest of partnering leads only
            return mail_message.header_safe(
                plural(len(leads), "piste de partenariat pour vous", "pistes de partenariat pour vous"),
                mail_message.SUBJECT_LIMIT,
            )
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

    def item(self, m: Match, sub: Subscriber) -> dict[str, Any]:
        """One tender's facts, as both parts of the digest show them (the HTML and the text: same words)."""
        item = m.item
        block = block_of(m)
        awards, awarded, total = award_lines(item) if block == "award" else ([], None, None)
        return {
            "block": block,
            "title": display_text(item.title, 300) or "(sans titre)",
            "buyer": short_buyer(display_text(item.buyer, 400)),
            "place": place_label(
                display_text(item.place, 200),
                item.departements,
                city=item.buyer_city,
                postal_code=item.buyer_postal_code,
            ),
            "deadline": date_fr(item.deadline) if item.deadline and block not in ("award", "cancelled") else None,
            "value": money_fr(item.value, item.currency) if item.value and block != "award" else None,
            "awards": awards,
            "awarded": awarded,
            "awards_total": total,
            "changes": change_sentences(item) if block in ("corrigendum", "call", "upcoming") else [],
            "advice": ADVICE[block],
            "url": safe_url(item.url),
            "change": NEW_LABELS.get(block, CHANGES["new"]) if m.change == "new" else CHANGES.get(m.change, m.change),
            "is_update": m.change != "new",
            "themes": [self.labels.get(c, c) for c in item.themes],
            "flags": flags(item),
            "why": why(m, self.labels, sub),
            "sources": item.sources,
            "feedback": f"{self.public_url}/f/{self.token('f', sub.id, item.procedure_id)}",
            **self.upcoming_facts(m, block, sub),
        }

    def upcoming_facts(self, m: Match, block: str, sub: Subscriber) -> dict[str, Any]:
        """The upcoming-purchase stage's words (alerts.upcoming): the expected day and what to prepare in the
        "À venir" block, the expression-of-interest deadline of a PIN used as a call for competition, and on a
        call "annoncé dans votre veille du …" / "annoncé le …, publié le …"."""
        item = m.item
        interest = block == "upcoming" and bool(item.deadline_utc)
        facts: dict[str, Any] = {
            "expected": upcoming.expected_line(item) if block == "upcoming" else None,
            "interest": interest,
            "band": upcoming.band_line(item.value_band) if not item.value else None,
            "prepare": upcoming.what_to_prepare(item, sub.themes) if block == "upcoming" else None,
            "announced": upcoming.announced_line(item, m.announced_in) if block == "call" else None,
        }
        if interest:
            facts["advice"] = ADVICE["interest"]
        return facts

    def context(
        self, sub: Subscriber, matches: list[Match], leads: list[Lead] | tuple[Lead, ...] = ()
    ) -> dict[str, Any]:
        """The one context both templates render: every fact is computed here, worded once."""
        shown = matches[: self.max_items]
        total, n = len(matches), len(leads)
        more = total - len(shown)
        items = [self.item(m, sub) for m in shown]
        return {
            "name": sub.name,
            "count": total,
            "count_line": count_line(total) if total or not leads else leads_line(n),
            "preheader": preheader(matches, total) + lead_count(len(leads)) if total or not leads else leads_line(n),
            "leads": [lead_view(lead, self.labels) for lead in leads],
            "leads_intro": LEADS_INTRO,
            "items": [i for i in items if i["block"] != "upcoming"],
            "upcoming": [i for i in items if i["block"] == "upcoming"],  # the "À venir" block
            "upcoming_line": "Achats annoncés par les acheteurs, pas encore publiés : préparez-vous avant l'appel "
            "d'offres.",
            "more": more,
            "more_line": f"… et {plural(more, 'autre marché correspond', 'autres marchés correspondent')} à votre "
            "profil : consultez la veille pour la liste complète."
            if more
            else None,
            "unsubscribe": f"{self.public_url}/u/{self.token('u', sub.id)}",
            "preferences": f"{self.public_url}/p/{self.token('p', sub.id)}",
            "markets": f"{self.public_url}/m/{self.token('p', sub.id)}",
            "generated": date_fr(datetime.now(UTC).isoformat(), with_time=False),
        }

    def message(self, sub: Subscriber, matches: list[Match], leads: list[Lead] | tuple[Lead, ...] = ()) -> EmailMessage:
        ctx = self.context(sub, matches, leads)
        token = self.token("u", sub.id)
        mailto = f"mailto:{self.unsubscribe_mailto}?subject={quote('unsubscribe ' + token)}"
        return mail_message.build(
            kind="digest",
            sender=self.sender,
            to=sub.emails,
            subject=self.subject(matches, leads),
            text=self.text.render(**ctx),
            html=self.html.render(**ctx),
            unsubscribe=[f"{self.public_url}/u/{token}", mailto],
            one_click=self.one_click,
            list_id=f"Veille ESS <alerts.{self.msgid_domain}>",
            domain=self.msgid_domain,
        )
