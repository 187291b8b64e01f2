"""`run_watch.py alerts`: match new and changed tenders to the subscribers who are due, queue, deliver."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from alerts import outbox
from alerts.items import load_items
from alerts.matching import AlertIndex
from alerts.partnering import leads_for
from alerts.render import DigestRenderer
from alerts.subscribers import Subscriber, load_all
from alerts.tokens import Signer
from alerts.upcoming import mark_announced
from archive.stores import open_archive, open_private_store, signing_key
from classify.taxonomy import load as load_taxonomy
from leads.find import current_leads
from leads.model import Rules
from mail.transport import transport_from
from notices.dates import PARIS
from settings import Config

logger = logging.getLogger(__name__)


def is_due(sub: Subscriber, now: datetime) -> bool:
    if sub.paused_until and now.astimezone(PARIS).date().isoformat() < sub.paused_until:
        return False
    if sub.frequency == "each_run" or not sub.last_digest_at:
        return True
    last = datetime.fromisoformat(sub.last_digest_at)
    if sub.frequency == "daily":
        return last.astimezone(PARIS).date() < now.astimezone(PARIS).date()
    return now - last >= timedelta(days=7)


def renderer_from(config: Config, key: bytes) -> DigestRenderer:
    taxonomy = load_taxonomy(config.optional_path("classify.taxonomy"))
    return DigestRenderer(
        sender=config["alerts.sender"],
        public_url=config["alerts.public_url"],
        unsubscribe_mailto=config["alerts.unsubscribe_mailto"],
        signer=Signer(key),
        theme_labels={t.code: t.label for t in taxonomy.themes},
        max_items=config["alerts.max_items"],
    )


def run_alerts(config: Config, *, dry_run: bool = False, now: datetime | None = None) -> dict[str, int]:
    now = now or datetime.now(UTC)
    now_utc, now_day = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), now.astimezone(PARIS).date().isoformat()
    db = open_archive(config)  # the tenders
    private = open_private_store(config, db)  # the subscribers, what they were sent, the outbox
    counts = {"subscribers_due": 0, "digests": 0, "tenders": 0, "leads": 0, "sent": 0, "pending": 0, "failed": 0}
    try:
        due = [s for s in load_all(private, active_only=True) if is_due(s, now)]
        counts["subscribers_due"] = len(due)
        if due:
            first = (now - timedelta(days=config["alerts.first_digest_days"])).isoformat(timespec="seconds")
            since = min((s.last_digest_at or first) for s in due)
            items = load_items(db, since=since)
            index = AlertIndex(items)
            renderer = renderer_from(config, signing_key(config))
            rules = Rules.from_config(config)
            # the partnering leads are computed once per run, for the subscribers who asked for them
            leads = current_leads(db, rules, now) if any("leads" in s.notice_kinds for s in due) else []
            for sub in due:
                sent = dict(
                    private.execute(
                        "select procedure_id, signature from sent_items where subscriber_id = ?", [sub.id]
                    ).fetchall()
                )
                matches = index.match(sub, sent, now_utc, now_day)
                mark_announced(private, sub.id, matches)  # "annoncé dans votre veille du …"
                offered = leads_for(
                    private, sub, leads, rules, in_digest={m.item.procedure_id for m in matches}, tenders_sent=sent
                )
                if matches or offered:
                    message = renderer.message(sub, matches, offered)
                    counts["digests"] += 1
                    counts["tenders"] += len(matches)
                    counts["leads"] += len(offered)
                    if dry_run:
                        print(f"{sub.name}: {message['Subject']}")
                        for m in matches:
                            print(f"  [{m.change}] {m.item.title[:100]} ({', '.join(m.reasons)})")
                        for lead in offered:
                            print(f"  [lead] {lead.title[:100]} ({', '.join(lead.codes)})")
                        continue
                    outbox.enqueue(private, sub, matches, message, offered, at=now.isoformat(timespec="seconds"))
                if not dry_run:
                    with private.conn:
                        private.execute(
                            "update subscribers set last_digest_at = ? where id = ?",
                            [now.isoformat(timespec="seconds"), sub.id],
                        )
        if not dry_run:
            transport = transport_from(config)
            counts.update(
                outbox.deliver(
                    private,
                    transport,
                    max_per_run=config["alerts.max_per_run"],
                    rate_per_minute=config["alerts.rate_per_minute"],
                )
            )
            logger.info(
                "alerts: %d subscriber(s) due, %d digest(s) with %d tender(s) and %d partnering lead(s); "
                "%d sent via %s, %d pending, %d failed",
                counts["subscribers_due"],
                counts["digests"],
                counts["tenders"],
                counts["leads"],
                counts["sent"],
                transport,
                counts["pending"],
                counts["failed"],
            )
    finally:
        db.close()
        private.close()
    return counts
