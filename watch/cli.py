"""The command line: `run_watch.py COMMAND --help` documents each command."""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import logging
import os
import sqlite3
import sys
from datetime import date
from pathlib import Path

from settings import config as watch_config
from watch import logs
from watch.jobs import check_schedule

logger = logging.getLogger("watch")


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {value!r}") from None


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        type=Path,
        default=argparse.SUPPRESS,
        help="configuration file (default: config.yaml, or $WATCH_CONFIG)",
    )
    parser = argparse.ArgumentParser(
        prog="run_watch.py",
        description="ESS tender watch: harvest public tenders (BOAMP, ...), archive them in SQLite, report.",
        parents=[common],
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "crawl",
        parents=[common],
        help="run the spiders (one scrapy subprocess each)",
        description="Crawl sources into the archive. Without dates, each source continues from "
        "its watermark (the last day read whole).",
    )
    p.add_argument("sources", nargs="*", metavar="SOURCE", help="sources to crawl (default: every enabled one)")
    p.add_argument("--from", dest="from_date", type=_day, help="first publication day, inclusive (YYYY-MM-DD)")
    p.add_argument("--until", dest="until_date", type=_day, help="last publication day, inclusive (YYYY-MM-DD)")

    sub.add_parser(
        "once",
        parents=[common],
        help="the whole watch once: crawl, then every later stage",
        description="Crawl every enabled source from its watermark, then run the later stages.",
    )
    p = sub.add_parser(
        "classify",
        parents=[common],
        help="themes, social flags and event relevance, with evidence",
        description="Classify what is new or changed in the archive (--all: everything, e.g. after the taxonomy "
        "changed), or, with --jsonl, notices from a JSON-lines file: one object per line with id, title and "
        "optionally description, buyer, cpv (list), descriptors (BOAMP labels), descriptor_codes.",
    )
    p.add_argument("--all", action="store_true", help="re-classify every archived notice")
    p.add_argument("--jsonl", type=Path, metavar="IN", help="classify this JSON-lines file instead of the archive")
    p.add_argument("--out", type=Path, metavar="OUT", help="with --jsonl: write here (default: standard output)")
    p.add_argument(
        "--feedback-report",
        action="store_true",
        help="which phrases most often produced an alert marked « pas pour nous » (and why)",
    )
    p = sub.add_parser(
        "alerts",
        parents=[common],
        help="e-mail each subscriber the new and changed tenders that fit its profile",
        description="Match new and changed tenders to the subscribers who are due, queue their digests in the "
        "outbox, and deliver pending digests (SMTP if alerts.smtp_url / WATCH_SMTP_URL is set, else .eml files).",
    )
    p.add_argument("--dry-run", action="store_true", help="show what would be sent; queue and send nothing")
    p.add_argument("--as-of", type=_day, help="match as if today were this day (replays of recorded data)")
    p = sub.add_parser(
        "subscribers",
        parents=[common],
        help="manage the ESS structures that receive alerts",
        description="add, list, show, remove, import (CSV) and export (CSV) subscribers.",
    )
    ssub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    a = ssub.add_parser("add", parents=[common], help="add or update a subscriber (by name)")
    a.add_argument("--name", required=True)
    a.add_argument("--email", action="append", required=True, dest="emails", help="repeat for several")
    a.add_argument("--kind", default="other", help="EI, AI, ACI, ETTI, GEIQ, EA, ESAT, association, cooperative, other")
    a.add_argument("--theme", action="append", default=[], dest="themes", help="theme code; repeat")
    a.add_argument("--departement", action="append", default=[], dest="departements", help="repeat")
    a.add_argument("--region", action="append", default=[], dest="regions", help="INSEE code or name; repeat")
    a.add_argument("--national", action="store_true")
    a.add_argument("--keyword", action="append", default=[], dest="keywords")
    a.add_argument("--exclude", action="append", default=[], dest="exclude_keywords")
    a.add_argument("--value-min", dest="value_min")
    a.add_argument("--value-max", dest="value_max")
    a.add_argument("--kinds", dest="notice_kinds", default="upcoming,open", help="upcoming, open, awards")
    a.add_argument("--frequency", default="daily", help="each_run, daily, weekly")
    ssub.add_parser("list", parents=[common], help="one line per subscriber")
    sh = ssub.add_parser("show", parents=[common], help="a subscriber's profile and last digests")
    sh.add_argument("ref", help="id or name")
    rm = ssub.add_parser("remove", parents=[common], help="delete a subscriber")
    rm.add_argument("ref", help="id or name")
    im = ssub.add_parser("import", parents=[common], help="add or update subscribers from a CSV file")
    im.add_argument("file", type=Path)
    ssub.add_parser("export", parents=[common], help="all subscribers as CSV on standard output")
    p = sub.add_parser(
        "newsletter",
        parents=[common],
        help="compile the weekly press newsletter (HTML, Markdown, DOCX, text)",
        description="Compile a week's newsletter: new calls by theme, upcoming tenders, next week's deadlines, "
        "results, corrections. Default: the last complete week, every format, into newsletter.out_dir. The "
        "editors' introduction is read from newsletter.intro_dir/<week>.md.",
    )
    p.add_argument("--week", help="ISO week, e.g. 2026-W49 (default: the last complete week)")
    p.add_argument("--format", choices=("html", "md", "docx", "txt"), help="one format (default: all four)")
    p.add_argument("--out", type=Path, help="output file (one format) or directory")
    p.add_argument("--mail", action="store_true", help="also mail the draft to newsletter.editors")
    sub.add_parser(
        "link",
        parents=[common],
        help="group the archived notices into procedures (one per tender)",
        description="Rebuild procedures: the notices of one tender across sources, with its current state "
        "(announced, open, corrected, cancelled, awarded, closed).",
    )
    sub.add_parser(
        "serve",
        parents=[common],
        help="the watch as a service: every job on its cron, the alerts endpoint, alarms",
        description="Long-running scheduler (APScheduler): each source's crawl, classify and alerts on "
        "schedule.cron (or schedule.jobs.<job>), the newsletter on newsletter.cron, in schedule.timezone, one job "
        "at a time; the alerts' HTTP endpoint on alerts.listen; alarms checked after each job. One serve per "
        "archive (lock file). SIGTERM/SIGINT stop it after the running job. Exit 1 if another serve runs.",
    )
    p = sub.add_parser(
        "status",
        parents=[common],
        help="each source's health: last success, today against the usual, ok/late/failing",
        description="Health of each enabled source from the run history. Exit code 0 when every source is ok, "
        "1 when one is late or failing (for monitoring probes).",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--check-alarms", action="store_true", help="also open/resolve incidents and mail the operators")
    sub.add_parser(
        "check-config",
        parents=[common],
        help="validate the configuration and the environment; print the jobs' next runs",
        description="Load config.yaml with the WATCH_* overrides and validate it: exit 0 and a summary, or exit 2 "
        "with the bad key's path and the reason.",
    )
    p = sub.add_parser(
        "backup",
        parents=[common],
        help="a consistent online copy of the archive (VACUUM INTO), checked",
        description="Copy the archive to PATH while the watch runs; the copy is a single compacted SQLite file, "
        "checked after writing. Never overwrites.",
    )
    p.add_argument("target", type=Path, metavar="PATH")
    p = sub.add_parser(
        "prune",
        parents=[common],
        help="drop raw source payloads older than maintenance.raw_days (notices kept)",
        description="Delete raw_records fetched more than maintenance.raw_days (or --days) ago. Notices, "
        "classifications and the quarantine are kept.",
    )
    p.add_argument("--days", type=_days, help="override maintenance.raw_days (a whole number, at least 1)")
    p = sub.add_parser(
        "inspect",
        parents=[common],
        help="print the normalized notices of recorded files as JSON",
        description="Map recorded source files to normalized notices: BOAMP API responses or record lists, "
        "TED Search API responses, eForms XML notices.",
    )
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.add_argument("--raw", action="store_true", help="include each notice's raw source record")
    p.add_argument("--no-classify", action="store_true", help="leave out themes, social flags and event")
    p = sub.add_parser(
        "stats",
        parents=[common],
        help="counts by source, kind and day; quarantine; watermarks",
        description="What the archive holds.",
    )
    p.add_argument("--days", type=int, default=14, help="publication days to list (default 14)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    sub.add_parser(
        "demo",
        parents=[common],
        help="the whole watch offline on recorded notices (make demo)",
        description="Start a local replay of recorded real notices and run the watch against it.",
    )
    p = sub.add_parser(
        "replay",
        parents=[common],
        help="serve the recorded sources locally, to try crawl/once/serve offline",
        description="Start the replay of the recorded real notices (BOAMP, TED, buyer platforms) on a local port "
        "and print the WATCH_* variables that point the watch at it; runs until Ctrl-C or SIGTERM.",
    )
    p.add_argument("--port", type=int, default=8765, help="local port (default 8765)")
    return parser


def _days(value: str) -> int:
    """`prune --days`: at least one day, so that no value drops every raw payload by mistake."""
    try:
        days = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of days") from None
    if days < 1:
        raise argparse.ArgumentTypeError(f"{days} days: give at least 1 (0 or less would drop every raw payload)")
    return days


def main(argv: list[str] | None = None) -> int:
    """Run one command; bad state (config, archive, private store) ends in one line on stderr and exit 2."""
    args = build_parser().parse_args(argv)
    config_path = getattr(args, "config", None)
    try:
        config = watch_config.load(config_path)
        check_schedule(config)
    except watch_config.ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    if not Path(config.path).exists():
        print(f"no config.yaml at {config.path}: using defaults", file=sys.stderr)
    from archive.db import StoreError

    try:
        log_file = config["logging.file"]
        logs.setup(config["logging.level"], config.resolve_path("logging.file") if log_file else None)
        code = _dispatch(args, config, config_path)
        sys.stdout.flush()  # inside the try: a reader that went away (`| head`) is caught below
        return code
    except StoreError as exc:
        print(f"{args.command}: {exc}", file=sys.stderr)
        return 2
    except sqlite3.DatabaseError as exc:  # a file that opened but breaks on reading (corrupt pages)
        print(f"{args.command}: {config.resolve_path('archive.path')}: database error ({exc})", file=sys.stderr)
        return 2
    except OSError as exc:
        if isinstance(exc, BrokenPipeError) or exc.errno == errno.EPIPE:  # `status --json | head`: quietly
            with contextlib.suppress(OSError):  # nothing left to flush at exit into the closed pipe
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
            return 0
        print(f"{args.command}: {exc}", file=sys.stderr)
        return 2


def _dispatch(args: argparse.Namespace, config: watch_config.Config, config_path: Path | None) -> int:

    if args.command == "inspect":
        from classify import from_config
        from watch.inspect import InspectError, inspect_file

        classifier = None if args.no_classify else from_config(config)
        out = []
        for path in args.files:
            try:
                out.extend(inspect_file(path, raw=args.raw, classifier=classifier))
            except InspectError as exc:
                print(f"inspect: {exc}", file=sys.stderr)
                return 2
        json.dump(out, sys.stdout, ensure_ascii=False, indent=2)
        print()
        return 0

    if args.command == "stats":
        from archive.db import open_db
        from watch.stats import collect, render

        db = open_db(config.resolve_path("archive.path"))
        stats = collect(db, args.days)
        print(json.dumps(stats, ensure_ascii=False, indent=2) if args.json else render(stats))
        return 0

    if args.command == "crawl":
        from watch.crawl import SOURCES, enabled_sources, run_crawl

        unknown = [s for s in args.sources if s not in SOURCES]
        if unknown:
            print(f"crawl: unknown source(s) {', '.join(unknown)} (known: {', '.join(SOURCES)})", file=sys.stderr)
            return 2
        if args.from_date and args.until_date and args.from_date > args.until_date:
            print("crawl: --from is after --until", file=sys.stderr)
            return 2
        results = [
            run_crawl(config, s, from_date=args.from_date, until_date=args.until_date)
            for s in (args.sources or enabled_sources(config))
        ]
        return _exit_code(results)

    if args.command == "classify":
        from classify.taxonomy import TaxonomyError

        try:
            if args.feedback_report:
                from archive.stores import open_archive, open_private_store
                from classify.feedback import feedback_report, format_report

                db = open_archive(config)
                private = open_private_store(config, db)
                try:
                    print(format_report(feedback_report(db, private)))
                finally:
                    db.close()
                    private.close()
                return 0
            if args.jsonl:
                from watch.classify_jsonl import classify_jsonl

                return classify_jsonl(config, args.jsonl, args.out)
            from watch.pipeline import classify

            classify(config, all_notices=args.all)
            return 0
        except TaxonomyError as exc:
            print(f"taxonomy error: {exc}", file=sys.stderr)
            return 2

    if args.command == "alerts":
        from datetime import UTC, datetime, time

        from alerts.run import run_alerts

        now = datetime.combine(args.as_of, time(12), tzinfo=UTC) if args.as_of else None
        counts = run_alerts(config, dry_run=args.dry_run, now=now)
        return 1 if counts.get("failed") else 0

    if args.command == "subscribers":
        from watch.subscribers_cli import run_subscribers

        return run_subscribers(config, args)

    if args.command == "newsletter":
        from newsletter.render import FORMATS
        from newsletter.run import compile_newsletter, mail_to_editors

        try:
            paths = compile_newsletter(config, args.week, (args.format,) if args.format else FORMATS, args.out)
        except ValueError as exc:
            print(f"newsletter: {exc}", file=sys.stderr)
            return 2
        for path in paths:
            print(path)
        if args.mail:
            mail_to_editors(config, args.week)
        return 0

    if args.command == "link":
        from watch.pipeline import link

        link(config)
        return 0

    if args.command == "once":
        from watch.pipeline import run_once

        crawls, jobs = run_once(config)
        return _exit_code(crawls) or (0 if all(j.ok for j in jobs) else 1)

    if args.command == "serve":
        from watch.scheduler import serve

        return serve(config)

    if args.command == "status":
        from archive.db import open_db
        from watch.status import collect_status, render_status

        if args.check_alarms:
            from watch.alarms import check_alarms

            check_alarms(config)
        db = open_db(config.resolve_path("archive.path"))
        try:
            status = collect_status(db, config)
        finally:
            db.close()
        print(json.dumps(status, ensure_ascii=False, indent=2) if args.json else render_status(status))
        return 0 if status["healthy"] else 1

    if args.command == "check-config":
        from archive.stores import open_archive, open_private_store, signing_key
        from watch.scheduler import next_runs

        overrides = [var for var in watch_config.ENV_OVERRIDES if var in os.environ]
        print(f"{config.path}: valid" if Path(config.path).exists() else f"{config.path}: missing, using defaults")
        archive = config.resolve_path("archive.path")
        db = open_archive(config)  # a file that cannot be opened or is corrupt ends here, in one line
        try:
            quick = db.execute("PRAGMA quick_check").fetchone()[0]
            notices = db.execute("select count(*) from notices").fetchone()[0]
            private = open_private_store(config, db)
        finally:
            db.close()
        if quick != "ok":
            private.close()
            print(f"check-config: {archive}: the archive is damaged ({quick})", file=sys.stderr)
            return 2
        try:
            subscribers = private.execute("select count(*) from subscribers").fetchone()[0]
        finally:
            private.close()
        signing_key(config)
        key = "WATCH_SECRET_KEY" if os.environ.get("WATCH_SECRET_KEY") else config.resolve_path("private.key_file")
        print(f"archive: {archive} ({notices:,} notices)")
        print(f"private store: {config.resolve_path('private.path')} ({subscribers} subscriber(s)); signing key: {key}")
        print(f"environment overrides: {', '.join(overrides) or 'none'}")
        for name, cron, next_run in next_runs(config):
            print(f"  job {name:<10} {cron!r:<24} next {next_run:%Y-%m-%d %H:%M %Z}")
        print(f"alarms to: {', '.join(config['alarms.operators']) or 'nobody (alarms.operators is empty: log only)'}")
        outbox = config.resolve_path("alerts.outbox_dir")
        print(f"mail: {'SMTP' if config['alerts.smtp_url'] else f'.eml files in {outbox}'}")
        return 0

    if args.command in ("backup", "prune"):
        from watch.maintenance import MaintenanceError, backup, prune

        archive = config.resolve_path("archive.path")
        try:
            if args.command == "backup":
                done = backup(archive, args.target.resolve())
                print(f"{args.target}: {done['notices']:,} notices, {done['bytes'] / 1e6:.1f} MB")
            else:
                days = args.days if args.days is not None else config["maintenance.raw_days"]
                print(f"{prune(archive, days):,} raw payloads dropped")
        except (MaintenanceError, sqlite3.Error) as exc:
            print(f"{args.command}: {exc}", file=sys.stderr)
            return 2
        return 0

    if args.command == "replay":
        from watch.demo import run_replay

        return run_replay(args.port)

    if args.command == "demo":
        from watch.demo import run_demo

        return run_demo(config_path)
    return 2


def _exit_code(results: list) -> int:
    if any(r.exit_code == 2 and r.run is None for r in results):
        return 2
    return 0 if all(r.ok for r in results) else 1
