"""`run_watch.py subscribers ...`: manage the ESS structures that receive alerts."""

from __future__ import annotations

import argparse
import json
import sys

from alerts import subscribers as subs
from archive.stores import open_private_store
from settings import Config


def run_subscribers(config: Config, args: argparse.Namespace) -> int:
    with open_private_store(config) as db:
        if args.action == "add":
            data = {k: getattr(args, k) for k in subs.CSV_FIELDS if k != "active"}
            sub_id = subs.save(db, subs.validate(data, "subscriber"))
            print(f"subscriber {sub_id} saved: {args.name}")
        elif args.action == "list":
            for s in subs.load_all(db):
                where = "national" if s.national else ",".join(s.departements + [f"region {r}" for r in s.regions])
                print(
                    f"{s.id:>4}  {'active' if s.active else 'left  '}  {s.origin:<4} {s.name:<40} {s.kind:<12} "
                    f"{','.join(s.themes) or '-'}  [{where}]  {s.frequency}"
                )
        elif args.action == "show":
            s = subs.get(db, args.ref)
            if s is None:
                print(f"subscribers: no subscriber {args.ref!r}", file=sys.stderr)
                return 2
            print(json.dumps(s.__dict__, ensure_ascii=False, indent=2))
            for row in db.query(
                "select id, created_at, state, items, subject from outbox where subscriber_id = ? "
                "order by id desc limit 5",
                [s.id],
            ):
                print(f"  digest {row['id']} {row['created_at']} {row['state']}: {row['subject']}")
        elif args.action == "remove":
            s = subs.get(db, args.ref)
            if s is None:
                print(f"subscribers: no subscriber {args.ref!r}", file=sys.stderr)
                return 2
            with db.conn:
                db.execute("delete from sent_items where subscriber_id = ?", [s.id])
                db.execute("delete from sent_leads where subscriber_id = ?", [s.id])
                db.execute("delete from subscribers where id = ?", [s.id])
            print(f"subscriber {s.id} removed: {s.name}")
        elif args.action == "import":
            try:
                text = args.file.read_text(encoding="utf-8-sig")
            except OSError as exc:
                print(f"subscribers: cannot read {args.file}: {exc}", file=sys.stderr)
                return 2
            ids = subs.import_csv(db, text)
            print(f"{len(ids)} subscriber(s) imported from {args.file}")
        elif args.action == "export":
            sys.stdout.write(subs.export_csv(subs.load_all(db)))
    return 0  # a SubscriberError (a WatchError) ends in one line and exit 2 in the CLI
