"""The one message builder: every mail the watch sends (digests, alarms, the newsletter draft) is made here.

Headers: From, To, Subject, Date, Message-ID, and for digests List-Unsubscribe (with RFC 8058 one-click
List-Unsubscribe-Post) and List-Id. A header value may come from scraped or configured text, so each one is
stripped of CR, LF and every other control character before it is set: no value can end its header line
and start another (no "Bcc:" smuggled in a subject). The body is a text part, with an HTML alternative and
attachments when given, each text part quoted-printable (SMTP servers refuse lines over 998 octets).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy as email_policy
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid, parseaddr
from zoneinfo import ZoneInfo

# Messages are written out with long header lines allowed (RFC 5322: 998), so List-Unsubscribe stays
# plain <URI>s instead of being folded into encoded words that mail clients would not read; the bodies,
# encoded when set, keep their short quoted-printable lines.
MAIL_POLICY = email_policy.SMTP.clone(max_line_length=998)
MSGID_DOMAIN = "ess-tender-watch.local"  # when the sender has no domain
PARIS = ZoneInfo("Europe/Paris")  # the readers' time: Date says +0100 / +0200, not -0000
SUBJECT_LIMIT = 150
_LINE_BREAKS = re.compile(r"[\r\n\t\x00-\x1f\x7f\u0085\u2028\u2029]+")


@dataclass(frozen=True)
class Attachment:
    data: bytes
    filename: str
    maintype: str = "application"
    subtype: str = "octet-stream"


def header_safe(text: str, limit: int | None = None) -> str:
    """A header value on one line: every run of control characters (CR, LF, tab ...) becomes one space."""
    value = _LINE_BREAKS.sub(" ", str(text)).strip()
    return value[:limit] if limit else value


def build(
    *,
    kind: str,
    sender: str,
    to: Sequence[str],
    subject: str,
    text: str,
    html: str | None = None,
    attachments: Iterable[Attachment] = (),
    unsubscribe: Sequence[str] = (),
    one_click: bool = False,
    list_id: str | None = None,
    domain: str | None = None,
    date: datetime | None = None,
) -> EmailMessage:
    """A message ready to send. `kind` names the Message-ID ("digest", "alarm", "newsletter"), on the
    sender's domain unless `domain` is given; `unsubscribe` the List-Unsubscribe URIs (https: and mailto:),
    with `one_click` for List-Unsubscribe-Post. `date`: when it is sent (default now), in Paris time."""
    msg = EmailMessage()
    msg["From"] = header_safe(sender)
    msg["To"] = ", ".join(header_safe(address) for address in to)
    msg["Subject"] = header_safe(subject, SUBJECT_LIMIT)
    msg["Date"] = format_datetime((date or datetime.now(UTC)).astimezone(PARIS))
    msg["Message-ID"] = make_msgid(header_safe(kind), domain=header_safe(domain or sender_domain(sender)))
    if unsubscribe:
        msg["List-Unsubscribe"] = ", ".join(f"<{header_safe(uri)}>" for uri in unsubscribe)
        if one_click:
            msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    if list_id:
        msg["List-Id"] = header_safe(list_id)
    msg.set_content(text, cte="quoted-printable")
    if html is not None:
        msg.add_alternative(html, subtype="html", cte="quoted-printable")
    for attachment in attachments:
        msg.add_attachment(
            attachment.data,
            maintype=attachment.maintype,
            subtype=attachment.subtype,
            filename=header_safe(attachment.filename),
        )
    return msg


def sender_domain(sender: str) -> str:
    """The domain of the From address ("Veille <veille@example.org>" -> "example.org"), for Message-ID."""
    _, at, domain = parseaddr(header_safe(sender))[1].rpartition("@")
    return domain if at and re.fullmatch(r"[A-Za-z0-9.-]+\.[A-Za-z]{2,}", domain) else MSGID_DOMAIN


def to_bytes(msg: EmailMessage) -> bytes:
    return msg.as_bytes(policy=MAIL_POLICY)


def to_text(msg: EmailMessage) -> str:
    return msg.as_string(policy=MAIL_POLICY)


def envelope_sender(msg: EmailMessage) -> str:
    """The bare address of From ("Name <a@b>" -> "a@b"), for the SMTP envelope."""
    return parseaddr(str(msg["From"]))[1]


def envelope_recipients(msg: EmailMessage) -> list[str]:
    """The bare addresses of To."""
    return [address for _, address in getaddresses([str(msg["To"])]) if address]
