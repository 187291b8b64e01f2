"""The outbox: one row per digest, written before any mail leaves, then delivered.

A digest is enqueued in the same transaction that records which tenders (and in which state) it holds,
so a re-run never builds it again. Delivery marks a row `sending` (attempt counted) before handing it to
the transport and `sent` after: a crash in between leaves it `sending`, and the next run sends it again.
The guarantee: every digest is sent at least once, and at most twice (only when the process dies between
the server accepting it and the outbox recording it; the Message-ID is the same both times, so mail
clients show one). An unreachable SMTP server leaves digests pending for the next run; a permanent
refusal marks them failed with the reason.
"""

from __future__ import annotations

import json
import logging
import time
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from typing import Any

import sqlite_utils

from alerts.matching import Match
from alerts.subscribers import Subscriber
from archive.db import now_iso
from formatting import display_text
from formatting.buyers import short_buyer
from leads.model import Lead
from mail.message import to_text
from mail.transport import TransportError

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 10


def enqueue(
    db: sqlite_utils.Database,
    sub: Subscriber,
    matches: list[Match],
    message: EmailMessage,
    leads: list[Lead] | tuple[Lead, ...] = (),
    *,
    at: str | None = None,
) -> int:
    """Queue a digest; in the same transaction, record its tenders (sent_items) and partnering leads (sent_leads).
    `at` is the digest's moment (the run's, replayed `as_of`)."""
    stamp = at or now_iso()
    with db.conn:
        table = db["outbox"].insert(
            {
                "subscriber_id": sub.id,
                "created_at": stamp,
                "state": "pending",
                "attempts": 0,
                "message_id": message["Message-ID"],
                "subject": message["Subject"],
                "recipients": json.dumps(sub.emails),
                "items": len(matches),
                "eml": to_text(message),
            }
        )
        outbox_id = int(table.last_pk)
        db["sent_items"].upsert_all(
            [
                {
                    "subscriber_id": sub.id,
                    "procedure_id": m.item.procedure_id,
                    "signature": m.item.signature,
                    "outbox_id": outbox_id,
                    "sent_at": stamp,
                    "title": display_text(m.item.title, 300),
                    "buyer": short_buyer(display_text(m.item.buyer, 400)),
                }
                for m in matches
            ],
            pk=("subscriber_id", "procedure_id"),
            alter=True,  # a private store from before the title and buyer columns gains them
        )
        if leads:
            db["sent_leads"].upsert_all(
                [
                    {
                        "subscriber_id": sub.id,
                        "lead_key": lead.key,
                        "outbox_id": outbox_id,
                        "sent_at": stamp,
                        "title": display_text(lead.title, 300),
                    }
                    for lead in leads
                ],
                pk=("subscriber_id", "lead_key"),
            )
    return outbox_id


def deliver(db: sqlite_utils.Database, transport: Any, *, max_per_run: int, rate_per_minute: float) -> dict[str, int]:
    """Send pending digests (and those left `sending` by a crash), oldest first, within the caps."""
    counts = {"sent": 0, "pending": 0, "failed": 0}
    rows = list(
        db.query(
            "select id, message_id, recipients, eml, attempts from outbox where state in ('pending', 'sending') "
            "order by id limit ?",
            [max_per_run],
        )
    )
    pause = 60.0 / rate_per_minute if rate_per_minute > 0 else 0.0
    try:
        for i, row in enumerate(rows):
            if i and pause:
                time.sleep(pause)
            with db.conn:
                db.execute("update outbox set state = 'sending', attempts = attempts + 1 where id = ?", [row["id"]])
            eml = row["eml"].encode("utf-8")
            sender = parseaddr(_header(row["eml"], "From"))[1]
            recipients = [a for _, a in getaddresses(json.loads(row["recipients"]))]
            try:
                transport.send(row["message_id"], sender, recipients, eml)
            except TransportError as exc:
                final = not exc.temporary or row["attempts"] + 1 >= MAX_ATTEMPTS
                state = "failed" if final else "pending"
                with db.conn:
                    db.execute("update outbox set state = ?, last_error = ? where id = ?", [state, str(exc), row["id"]])
                counts[state] += 1
                logger.warning("alerts: digest %s %s: %s", row["id"], "failed" if final else "kept for later", exc)
                if exc.temporary:  # the server is down: the others would fail the same way
                    counts["pending"] += len(rows) - i - 1
                    break
                continue
            with db.conn:
                db.execute(
                    "update outbox set state = 'sent', sent_at = ?, last_error = null where id = ?",
                    [now_iso(), row["id"]],
                )
            counts["sent"] += 1
    finally:
        transport.close()
    return counts


def _header(eml: str, name: str) -> str:
    for line in eml.splitlines():
        if not line.strip():
            break
        if line.lower().startswith(name.lower() + ":"):
            return line.split(":", 1)[1].strip()
    return ""
