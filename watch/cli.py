"""The command line: `run_watch.py COMMAND --help` documents each command.

One function per command (`cmd_<name>(args, config) -> exit code`), listed in COMMANDS with the function that
adds its arguments; a command's docstring is its help (first line) and description (the rest). Commands that
do a job (crawl, link, classify, alerts, newsletter, the alarms) go through watch.jobs.run_job, as serve and
once do, so that every run is recorded the same way. Any WatchError ends in one line on stderr and exit 2.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import inspect
import json
import logging
import os
import re
import sqlite3
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path

from settings import Config, WatchError
from settings import config as watch_config
from watch import logs
from watch.crawl import CrawlResult
from watch.jobs import JobResult, check_schedule, run_job, run_once

logger = logging.getLogger("watch")


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {value!r}") from None


def _days(value: str) -> int:
    """`prune --days`: at least one day, so that no value drops every raw payload by mistake."""
    try:
        days = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of days") from None
    if days < 1:
        raise argparse.ArgumentTypeError(f"{days} days: give at least 1 (0 or less would drop every raw payload)")
    return days


# -- commands: each one's docstring is its help (first paragraph) and description (the rest) -------------
def cmd_crawl(args: argparse.Namespace, config: Config) -> int:
    """run the spiders (one scrapy subprocess each)

    Crawl sources into the archive. Without dates, each source continues from its watermark (the last day
    read whole).
    """
    from watch.crawl import SOURCES, enabled_sources

    unknown = [s for s in args.sources if s not in SOURCES]
    if unknown:
        print(f"crawl: unknown source(s) {', '.join(unknown)} (known: {', '.join(SOURCES)})", file=sys.stderr)
        return 2
    if args.from_date and args.until_date and args.from_date > args.until_date:
        print("crawl: --from is after --until", file=sys.stderr)
        return 2
    jobs = [
        run_job(config, s, from_date=args.from_date, until_date=args.until_date)
        for s in (args.sources or enabled_sources(config))
    ]
    return _crawl_exit_code([j.crawl for j in jobs if j.crawl is not None])


def _crawl_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("sources", nargs="*", metavar="SOURCE", help="sources to crawl (default: every enabled one)")
    p.add_argument("--from", dest="from_date", type=_day, help="first publication day, inclusive (YYYY-MM-DD)")
    p.add_argument("--until", dest="until_date", type=_day, help="last publication day, inclusive (YYYY-MM-DD)")


def cmd_once(args: argparse.Namespace, config: Config) -> int:
    """the whole watch once: crawl, then every later stage

    Crawl every enabled source from its watermark, then run the later stages.
    """
    crawls, jobs = run_once(config)
    return _crawl_exit_code(crawls) or (0 if all(j.ok for j in jobs) else 1)


def cmd_classify(args: argparse.Namespace, config: Config) -> int:
    """themes, social flags and event relevance, with evidence

    Classify what is new or changed in the archive (--all: everything, e.g. after the taxonomy changed;
    procedures are linked first), or, with --jsonl, notices from a JSON-lines file: one object per line with
    id, title and optionally description, buyer, cpv (list), descriptors (BOAMP labels), descriptor_codes.
    """
    if args.feedback_report:
        from archive.stores import open_archive, open_private_store
        from classify.feedback import feedback_report, format_report

        with open_archive(config) as db, open_private_store(config, db) as private:
            print(format_report(feedback_report(db, private)))
        return 0
    if args.jsonl:
        from watch.classify_jsonl import classify_jsonl

        return classify_jsonl(config, args.jsonl, args.out)
    return _job_exit_code(run_job(config, "classify", reraise=True, all_notices=args.all))


def _classify_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--all", action="store_true", help="re-classify every archived notice")
    p.add_argument("--jsonl", type=Path, metavar="IN", help="classify this JSON-lines file instead of the archive")
    p.add_argument("--out", type=Path, metavar="OUT", help="with --jsonl: write here (default: standard output)")
    p.add_argument(
        "--feedback-report",
        action="store_true",
        help="which phrases most often produced an alert marked « pas pour nous » (and why)",
    )


def cmd_alerts(args: argparse.Namespace, config: Config) -> int:
    """e-mail each subscriber the new and changed tenders that fit its profile

    Match new and changed tenders to the subscribers who are due, queue their digests in the outbox, and
    deliver pending digests (SMTP if alerts.smtp_url / WATCH_SMTP_URL is set, else .eml files). Exit 1 when a
    digest could not be delivered (it stays in the outbox).
    """
    now = datetime.combine(args.as_of, time(12), tzinfo=UTC) if args.as_of else None
    if args.dry_run:  # nothing queued or sent: not a run of the job
        from alerts.run import run_alerts

        return 1 if run_alerts(config, dry_run=True, now=now).get("failed") else 0
    return _job_exit_code(run_job(config, "alerts", reraise=True, as_of=now))


def _alerts_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dry-run", action="store_true", help="show what would be sent; queue and send nothing")
    p.add_argument("--as-of", type=_day, help="match as if today were this day (replays of recorded data)")


def cmd_subscribers(args: argparse.Namespace, config: Config) -> int:
    """manage the ESS structures that receive alerts

    add, list, show, remove, import (CSV) and export (CSV) subscribers.
    """
    from watch.subscribers_cli import run_subscribers

    return run_subscribers(config, args)


def _subscribers_args(p: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
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
    a.add_argument("--kinds", dest="notice_kinds", default="upcoming,open", help="upcoming, open, awards, leads")
    a.add_argument("--frequency", default="daily", help="each_run, daily, weekly")
    a.add_argument("--siret", help="14 digits (Luhn-checked)")
    ssub.add_parser("list", parents=[common], help="one line per subscriber")
    sh = ssub.add_parser("show", parents=[common], help="a subscriber's profile and last digests")
    sh.add_argument("ref", help="id or name")
    rm = ssub.add_parser("remove", parents=[common], help="delete a subscriber")
    rm.add_argument("ref", help="id or name")
    im = ssub.add_parser("import", parents=[common], help="add or update subscribers from a CSV file")
    im.add_argument("file", type=Path)
    ssub.add_parser("export", parents=[common], help="all subscribers as CSV on standard output")


def cmd_newsletter(args: argparse.Namespace, config: Config) -> int:
    """compile the weekly press newsletter (HTML, Markdown, DOCX, text)

    Compile a week's newsletter: new calls by theme, upcoming tenders, next week's deadlines, results,
    corrections. Default: the last complete week, every format, into newsletter.out_dir. The editors'
    introduction is read from newsletter.intro_dir/<week>.md.
    """
    formats = (args.format,) if args.format else None
    result = run_job(config, "newsletter", reraise=True, week=args.week, formats=formats, out=args.out, mail=args.mail)
    for path in result.output:
        print(path)
    return _job_exit_code(result)


def _newsletter_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--week", help="ISO week, e.g. 2026-W49 (default: the last complete week)")
    p.add_argument("--format", choices=("html", "md", "docx", "txt"), help="one format (default: all four)")
    p.add_argument("--out", type=Path, help="output file (one format) or directory")
    p.add_argument("--mail", action="store_true", help="also mail the draft to newsletter.editors")


def cmd_link(args: argparse.Namespace, config: Config) -> int:
    """group the archived notices into procedures (one per tender)

    Rebuild procedures: the notices of one tender across sources, with its current state (announced, open,
    corrected, cancelled, awarded, closed).
    """
    return _job_exit_code(run_job(config, "link", reraise=True))


def cmd_serve(args: argparse.Namespace, config: Config) -> int:
    """the watch as a service: every job on its cron, the alerts endpoint, alarms

    Long-running scheduler (APScheduler): each source's crawl, classify and alerts on schedule.cron (or
    schedule.jobs.<job>), the newsletter on newsletter.cron, in schedule.timezone, one job at a time; the
    alerts' HTTP endpoint on alerts.listen; alarms checked after each job. One serve per archive (lock file).
    SIGTERM/SIGINT stop it after the running job. Exit 1 if another serve runs.
    """
    from watch.scheduler import serve

    return serve(config)


def cmd_web(args: argparse.Namespace, config: Config) -> int:
    """the web pages alone: sign-up, preferences, « Mes marchés », the digests' links

    Serve the web pages (Starlette on uvicorn) on alerts.listen, or on --port of its host, without the
    scheduler (serve runs them beside it). Stops on SIGTERM or Ctrl-C.
    """
    import signal
    import threading

    from alerts.web import web_from

    try:
        server = web_from(config, args.port)
    except OSError as exc:
        logger.error("web: cannot listen on %s (alerts.listen): %s", config["alerts.listen"], exc)
        return 2
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    server.start()
    print(f"web: {server.url} (public address {config['alerts.public_url']}); Ctrl-C stops it", flush=True)
    stop.wait()
    server.stop()
    return 0


def _web_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", type=int, help="port on alerts.listen's host (default: alerts.listen's port)")


def cmd_status(args: argparse.Namespace, config: Config) -> int:
    """each source's health: last success, today against the usual, ok/late/failing

    Health of each enabled source from the run history. Exit code 0 when every source is ok, 1 when one is
    late or failing (for monitoring probes).
    """
    from archive.db import open_db
    from watch.status import collect_status, render_status

    if args.check_alarms:
        run_job(config, "alarms", reraise=True)
    with open_db(config.resolve_path("archive.path")) as db:
        status = collect_status(db, config)
    print(json.dumps(status, ensure_ascii=False, indent=2) if args.json else render_status(status))
    return 0 if status["healthy"] else 1


def _status_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--check-alarms", action="store_true", help="also open/resolve incidents and mail the operators")


def cmd_check_config(args: argparse.Namespace, config: Config) -> int:
    """validate the configuration and the environment; print the jobs' next runs

    Load config.yaml with the WATCH_* overrides and validate it: exit 0 and a summary, or exit 2 with the bad
    key's path and the reason.
    """
    from archive.stores import open_archive, open_private_store, signing_key
    from watch.scheduler import next_runs

    overrides = [var for var in watch_config.ENV_OVERRIDES if var in os.environ]
    print(f"{config.path}: valid" if Path(config.path).exists() else f"{config.path}: missing, using defaults")
    archive = config.resolve_path("archive.path")
    with open_archive(config) as db:  # a file that cannot be opened or is corrupt ends here, in one line
        quick = db.execute("PRAGMA quick_check").fetchone()[0]
        notices = db.execute("select count(*) from notices").fetchone()[0]
        private = open_private_store(config, db)
    with private:
        if quick != "ok":
            print(f"check-config: {archive}: the archive is damaged ({quick})", file=sys.stderr)
            return 2
        subscribers = private.execute("select count(*) from subscribers").fetchone()[0]
    signing_key(config)
    key = "WATCH_SECRET_KEY" if os.environ.get("WATCH_SECRET_KEY") else config.resolve_path("private.key_file")
    print(f"archive: {archive} ({notices:,} notices)")
    print(f"private store: {config.resolve_path('private.path')} ({subscribers} subscriber(s)); signing key: {key}")
    print(f"environment overrides: {', '.join(overrides) or 'none'}")
    for name, cron, next_run in next_runs(config):
        print(f"  job {name:<11} {cron!r:<24} next {next_run:%Y-%m-%d %H:%M %Z}")
    print(f"alarms to: {', '.join(config['alarms.operators']) or 'nobody (alarms.operators is empty: log only)'}")
    outbox = config.resolve_path("alerts.outbox_dir")
    print(f"mail: {'SMTP' if config['alerts.smtp_url'] else f'.eml files in {outbox}'}")
    return 0


def cmd_backup(args: argparse.Namespace, config: Config) -> int:
    """a consistent online copy of the archive (VACUUM INTO), checked

    Copy the archive to PATH while the watch runs; the copy is a single compacted SQLite file, checked after
    writing. Never overwrites.
    """
    from watch.maintenance import backup

    done = backup(config.resolve_path("archive.path"), args.target.resolve())
    print(f"{args.target}: {done['notices']:,} notices, {done['bytes'] / 1e6:.1f} MB")
    return 0


def _backup_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("target", type=Path, metavar="PATH")


def cmd_prune(args: argparse.Namespace, config: Config) -> int:
    """drop raw source payloads older than maintenance.raw_days (notices kept)

    Delete raw_records fetched more than maintenance.raw_days (or --days) ago. Notices, classifications and
    the quarantine are kept.
    """
    from watch.maintenance import prune

    days = args.days if args.days is not None else config["maintenance.raw_days"]
    dropped = prune(config.resolve_path("archive.path"), days)
    print(f"{dropped:,} raw payloads dropped")
    return 0


def _prune_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--days", type=_days, help="override maintenance.raw_days (a whole number, at least 1)")


def cmd_inspect(args: argparse.Namespace, config: Config) -> int:
    """print the normalized notices of recorded files as JSON

    Map recorded source files to normalized notices: BOAMP API responses or record lists, TED Search API
    responses, eForms XML notices.
    """
    from classify import from_config
    from watch.inspect import inspect_file

    classifier = None if args.no_classify else from_config(config)
    out = [notice for path in args.files for notice in inspect_file(path, raw=args.raw, classifier=classifier)]
    json.dump(out, sys.stdout, ensure_ascii=False, indent=2)
    print()
    return 0


def _inspect_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.add_argument("--raw", action="store_true", help="include each notice's raw source record")
    p.add_argument("--no-classify", action="store_true", help="leave out themes, social flags and event")


def cmd_stats(args: argparse.Namespace, config: Config) -> int:
    """counts by source, kind and day; quarantine; watermarks

    What the archive holds.
    """
    from archive.db import open_db
    from watch.stats import collect, render

    with open_db(config.resolve_path("archive.path")) as db:
        stats = collect(db, args.days)
    print(json.dumps(stats, ensure_ascii=False, indent=2) if args.json else render(stats))
    return 0


def _stats_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--days", type=int, default=14, help="publication days to list (default 14)")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def cmd_demo(args: argparse.Namespace, config: Config) -> int:
    """the whole watch offline on recorded notices (make demo)

    Start a local replay of recorded real notices and run the watch against it, in its own files under
    data/demo/ (archive, private store, outbox, newsletter, log), whatever config.yaml or WATCH_* say.
    """
    from watch.demo import reset_demo, run_demo

    if args.reset:
        return reset_demo()
    return run_demo(getattr(args, "config", None))


def _demo_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--reset", action="store_true", help="remove the demo's files (data/demo/) and stop")


def _demo_config(path: Path | None) -> Config:
    from watch.demo import demo_config

    return demo_config(path)


def cmd_replay(args: argparse.Namespace, config: Config) -> int:
    """serve the recorded sources locally, to try crawl/once/serve offline

    Start the replay of the recorded real notices (BOAMP, TED, buyer platforms) on a local port and print the
    WATCH_* variables that point the watch at it; runs until Ctrl-C or SIGTERM.
    """
    from watch.demo import run_replay

    return run_replay(args.port)


def _replay_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", type=int, default=8765, help="local port (default 8765)")


def cmd_explore(args: argparse.Namespace, config: Config) -> int:
    """Datasette on the analysts' archive, with French titles, facets and canned queries

    Prepare the archive for analysts (label tables, flat views, the buyer directory) and serve it with
    Datasette on loopback (--host to change), with the project's metadata: titles and descriptions, units,
    facets, full-text search and canned queries. --public turns arbitrary SQL off. The private store is never
    served. Runs until Ctrl-C.
    """
    from analysts.explore import serve

    return serve(
        config.resolve_path("archive.path"),
        private=config.resolve_path("private.path"),
        port=args.port,
        host=args.host,
        public=args.public,
    )


def _explore_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", type=int, default=8001, help="local port (default 8001)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1, loopback only)")
    p.add_argument("--public", action="store_true", help="no arbitrary SQL: tables, facets and canned queries only")


def _theme(value: str) -> str:
    from classify.taxonomy import THEME_CODES

    if value not in THEME_CODES:
        raise argparse.ArgumentTypeError(f"unknown theme {value!r} (known: {', '.join(THEME_CODES)})")
    return value


def cmd_buyers(args: argparse.Namespace, config: Config) -> int:
    """the buyer directory: each buyer's notices, themes and social shares

    List the buyers with the most notices (in one theme with --theme): SIREN when the notices give a SIRET
    (spellings sharing one are one buyer), département, notices, themes, and the shares of reserved contracts,
    insertion clauses and social criteria. --json for every field (latest needs, upcoming tenders).
    """
    from analysts.buyers import render_buyers, top_buyers
    from analysts.tables import prepare
    from archive.db import open_db

    with open_db(config.resolve_path("archive.path")) as db:
        prepare(db)
        buyers = top_buyers(db, top=args.top, theme=args.theme)
    if args.json:
        print(json.dumps(buyers, ensure_ascii=False, indent=2))
    else:
        print(render_buyers(buyers, args.theme))
    return 0


def _buyers_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--top", type=int, default=20, help="how many buyers (default 20)")
    p.add_argument("--theme", type=_theme, help="only buyers with notices in this theme, most first")
    p.add_argument("--json", action="store_true", help="machine-readable output, every field")


def cmd_export(args: argparse.Namespace, config: Config) -> int:
    """export the notices as CSV, Excel or an OCDS 1.1 release package

    Write the archived notices (from --since, in --theme) as CSV (French headers, ';', UTF-8 with BOM), XLSX,
    or OCDS 1.1 JSON (one release per notice, ocid per procedure with exports.ocid_prefix; lots, reserved
    participation, reserved execution and sustainability through the OCDS extensions). Default output:
    avis.csv, avis.xlsx or avis.ocds.json in the working directory.
    """
    from analysts.exports import default_name, export
    from analysts.tables import prepare
    from archive.db import open_db

    out = args.out or Path(default_name(args.format, args.theme))
    with open_db(config.resolve_path("archive.path")) as db:
        prepare(db)
        count = export(db, args.format, out, prefix=config["exports.ocid_prefix"], since=args.since, theme=args.theme)
    print(f"{out}: {count:,} notices ({args.format})")
    return 0


def _export_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=("csv", "xlsx", "ocds"), required=True)
    p.add_argument("--since", type=_day, help="notices published on or after this day (YYYY-MM-DD)")
    p.add_argument("--theme", type=_theme, help="only the notices of this theme")
    p.add_argument("--out", type=Path, help="output file (default: avis.csv, avis.xlsx or avis.ocds.json)")


def cmd_leads(args: argparse.Namespace, config: Config) -> int:
    """the partnering leads: awards won by large firms, calls too large for one structure

    List the leads the digests offer now (or --as-of a day): awards in an ESS theme won by an ETI or GE of the
    companies register (an insertion clause or declared subcontracting first), then open calls with several
    lots, several places of performance, or a value above leads.large_multiple x leads.usual_size. --theme and
    --departement narrow them as a subscriber's profile does; --json for every field.
    """
    from alerts.geo import departement
    from archive.db import open_db
    from classify.taxonomy import THEME_CODES
    from leads.find import current_leads
    from leads.match import Audience, match_leads
    from leads.model import Rules
    from leads.report import as_json, lead_lines
    from notices.dates import PARIS

    rules = Rules.from_config(config)
    codes = [departement(d) for d in args.departement]
    if None in codes:
        raise WatchError(f"--departement: unknown département {args.departement[codes.index(None)]!r}")
    audience = Audience(
        frozenset([args.theme] if args.theme else THEME_CODES),
        frozenset(c for c in codes if c),
        not codes,
        rules.usual_size,
        rules.large_multiple,
    )
    now = datetime.combine(args.as_of, time(8), tzinfo=PARIS) if args.as_of else datetime.now(UTC)
    with open_db(config.resolve_path("archive.path")) as db:
        found = match_leads(current_leads(db, rules, now), audience)
    if args.json:
        print(json.dumps(as_json(found), ensure_ascii=False, indent=2))
        return 0
    for lead in found:
        print("\n".join(lead_lines(lead)))
    print(f"{len(found)} partnering lead(s)")
    return 0


def _leads_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--theme", type=_theme, help="only the leads of this theme")
    p.add_argument("--departement", action="append", default=[], help="only the leads in this département (repeat)")
    p.add_argument("--as-of", type=_day, help="as the digests of this day's morning see them (YYYY-MM-DD)")
    p.add_argument("--json", action="store_true", help="machine-readable output, every field")


def cmd_observatory(args: argparse.Namespace, config: Config) -> int:
    """the impact observatory: who wins the contracts, how social the buying is, against the charter's targets

    Write the report of a period (--period 2024, 2024-Q3, 2024-07 or 2024-01-01..2024-06-30; default: the
    last closed quarter) for every awarded contract (--scope all) or the configured event's (--scope
    paris2024), optionally for one buyer, theme or département: number and amount, social clauses, criteria
    and reservations, shares to ESS / inclusive / TPE-PME holders against the 25 % target, with the share whose
    holder is unknown. HTML (charts, contracts behind each group) and CSV (one row per contract) in
    observatory.out_dir or --out.
    """
    result = run_job(
        config,
        "observatory",
        reraise=True,
        period=args.period,
        scope=args.scope,
        by=args.by,
        out=args.out,
        buyer=args.buyer,
        theme=args.theme,
        departement=args.departement,
    )
    for path in result.output:
        print(path)
    return _job_exit_code(result)


def _observatory_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--period", help="2024, 2024-Q3, 2024-07 or 2024-01-01..2024-06-30 (default: last closed quarter)")
    p.add_argument("--scope", default="all", help="all (default) or the configured event's, e.g. paris2024")
    p.add_argument("--by", choices=("buyer", "theme", "month", "departement"), help="the detailed grouping")
    p.add_argument("--buyer", help="one buyer: SIRET, SIREN or words of its name")
    p.add_argument("--theme", type=_theme, help="one theme (code)")
    p.add_argument("--departement", help="one département (INSEE code: 93, 2A, 974)")
    p.add_argument("--out", type=Path, help="output directory (default: observatory.out_dir)")


def cmd_contracts(args: argparse.Namespace, config: Config) -> int:
    """awarded contracts (DECP): load files, link them to the notices, put them on the themes

    `contracts load FILE...` reads DECP files an operator downloaded (2.0.x JSON, the consolidated decp.csv,
    a flattened CSV; .zip and .gz too), then links and classifies; `contracts update` links the contracts not
    linked yet to the watch's notices and classifies the new or changed ones (--relink, --all: every one).
    `crawl decp` fetches the files named in sources.decp.url.
    """
    files = args.files if args.action == "load" else None
    result = run_job(config, "contracts", reraise=True, files=files, relink=args.relink, all_contracts=args.all)
    return _job_exit_code(result)  # a file that could not be read is named in the job's line


def _contracts_args(p: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    load = sub.add_parser("load", parents=[common], help="load DECP files, then link and classify")
    load.add_argument("files", nargs="+", type=Path, metavar="FILE")
    update = sub.add_parser("update", parents=[common], help="link and classify what is new")
    for q in (load, update):
        q.add_argument("--relink", action="store_true", help="look again for the notice of every contract")
        q.add_argument("--all", action="store_true", help="classify every contract again")


def cmd_companies(args: argparse.Namespace, config: Config) -> int:
    """the companies register: who the winners are (ESS, inclusive employment, size)

    `companies load [FILE...]` reads register files (the Sirene StockUniteLegale CSV or its ESS subset, the
    Marché de l'inclusion SIAE JSON, a CSV list of EA/ESAT with siret or siren and kind columns; .zip and .gz
    too), the kind read from the header unless --kind says it; without FILE, the files of companies.files.
    """
    from watch.companies import configured_files

    files = [(args.kind, path) for path in args.files] if args.files else configured_files(config)
    winners_only = False if args.all_units else None
    result = run_job(config, "companies", reraise=True, files=files, winners_only=winners_only)
    return _job_exit_code(result)  # a missing or unreadable file is named in the job's line


def _companies_args(p: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    from notices.registers import KINDS

    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    load = sub.add_parser("load", parents=[common], help="load register files into the companies register")
    load.add_argument("files", nargs="*", type=Path, metavar="FILE", help="default: the files of companies.files")
    load.add_argument("--kind", choices=KINDS, help="the files' kind (default: read from each file's header)")
    load.add_argument(
        "--all-units", action="store_true", help="keep every unit of the Sirene stock, not only the winners"
    )


def cmd_upcoming(args: argparse.Namespace, config: Config) -> int:
    """the buyers' horizon: upcoming purchases, buyer by buyer, by theme and expected date

    The purchases buyers have announced (prior-information notices, APProch programmes) whose call is not out
    yet and is expected within --months months (default 6) from --from (default today), or whose deadline to
    express interest is ahead. Only one theme with --theme, one département with --departement; --json for
    every field.
    """
    from analysts.horizon import horizon, render_horizon
    from archive.db import open_db
    from archive.store import today_paris
    from classify.taxonomy import load as load_taxonomy

    start = args.start or today_paris()
    with open_db(config.resolve_path("archive.path")) as db:
        items = horizon(db, start=start, months=args.months, theme=args.theme, departement=args.departement)
    if args.json:
        print(json.dumps([u.to_dict() for u in items], ensure_ascii=False, indent=2))
        return 0
    labels = {t.code: t.label for t in load_taxonomy(config.optional_path("classify.taxonomy")).themes}
    print(render_horizon(items, labels, start=start, months=args.months))
    return 0


def _months(value: str) -> int:
    try:
        months = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of months") from None
    if not 1 <= months <= 60:
        raise argparse.ArgumentTypeError(f"{months} months: give 1 to 60")
    return months


def _departement(value: str) -> str:
    code = value.strip().upper()
    if not re.fullmatch(r"\d{2}|2[AB]|9[78]\d", code):
        raise argparse.ArgumentTypeError(f"{value!r} is not a département code (75, 2A, 971...)")
    return code


def _upcoming_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--theme", type=_theme, help="only the purchases of this theme")
    p.add_argument("--departement", type=_departement, help="only the purchases in this département (75, 2A, 971)")
    p.add_argument("--months", type=_months, default=6, help="how far ahead (default 6 months)")
    p.add_argument("--from", dest="start", type=_day, help="the first day (default today, Paris)")
    p.add_argument("--json", action="store_true", help="machine-readable output, every field")


@dataclass(frozen=True)
class Command:
    run: Callable[[argparse.Namespace, Config], int]
    arguments: Callable[..., None] | None = None  # (parser) or (parser, common) for sub-commands
    config: Callable[[Path | None], Config] = watch_config.load  # the configuration the command runs with

    @property
    def help(self) -> str:
        return inspect.getdoc(self.run).split("\n\n")[0]  # type: ignore[union-attr]

    @property
    def description(self) -> str:
        return " ".join(inspect.getdoc(self.run).split("\n\n", 1)[1].split())  # type: ignore[union-attr]


COMMANDS: dict[str, Command] = {
    "crawl": Command(cmd_crawl, _crawl_args),
    "once": Command(cmd_once),
    "classify": Command(cmd_classify, _classify_args),
    "alerts": Command(cmd_alerts, _alerts_args),
    "subscribers": Command(cmd_subscribers, _subscribers_args),
    "newsletter": Command(cmd_newsletter, _newsletter_args),
    "link": Command(cmd_link),
    "serve": Command(cmd_serve),
    "web": Command(cmd_web, _web_args),
    "status": Command(cmd_status, _status_args),
    "check-config": Command(cmd_check_config),
    "backup": Command(cmd_backup, _backup_args),
    "prune": Command(cmd_prune, _prune_args),
    "inspect": Command(cmd_inspect, _inspect_args),
    "stats": Command(cmd_stats, _stats_args),
    "explore": Command(cmd_explore, _explore_args),
    "buyers": Command(cmd_buyers, _buyers_args),
    "upcoming": Command(cmd_upcoming, _upcoming_args),
    "export": Command(cmd_export, _export_args),
    "leads": Command(cmd_leads, _leads_args),
    "observatory": Command(cmd_observatory, _observatory_args),
    "demo": Command(cmd_demo, _demo_args, _demo_config),
    "replay": Command(cmd_replay, _replay_args),
    "contracts": Command(cmd_contracts, _contracts_args),
    "companies": Command(cmd_companies, _companies_args),
}


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
    for name, command in COMMANDS.items():
        p = sub.add_parser(name, parents=[common], help=command.help, description=command.description)
        if command.arguments is not None:
            if len(inspect.signature(command.arguments).parameters) == 2:
                command.arguments(p, common)
            else:
                command.arguments(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; bad state (config, archive, private store...) ends in one line on stderr and exit 2."""
    args = build_parser().parse_args(argv)
    config: Config | None = None
    try:
        config = COMMANDS[args.command].config(getattr(args, "config", None))
        check_schedule(config)
        if not Path(config.path).exists():
            print(f"no config.yaml at {config.path}: using defaults", file=sys.stderr)
        log_file = config["logging.file"]
        logs.setup(config["logging.level"], config.resolve_path("logging.file") if log_file else None)
        code = COMMANDS[args.command].run(args, config)
        sys.stdout.flush()  # inside the try: a reader that went away (`| head`) is caught below
        return code
    except WatchError as exc:
        print(f"{exc.label or args.command}: {exc}", file=sys.stderr)
        return 2
    except sqlite3.DatabaseError as exc:  # a file that opened but breaks on reading (corrupt pages)
        where = f"{config.resolve_path('archive.path')}: " if config else ""
        print(f"{args.command}: {where}database error ({exc})", file=sys.stderr)
        return 2
    except OSError as exc:
        if isinstance(exc, BrokenPipeError) or exc.errno == errno.EPIPE:  # `status --json | head`: quietly
            with contextlib.suppress(OSError):  # nothing left to flush at exit into the closed pipe
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
            return 0
        print(f"{args.command}: {exc}", file=sys.stderr)
        return 2


def _job_exit_code(result: JobResult) -> int:
    return 0 if result.ok else 1


def _crawl_exit_code(crawls: list[CrawlResult]) -> int:
    """2 when a crawl could not start (network unreachable, scrapy failed early), 1 when one was not ok."""
    if any(c.exit_code == 2 and c.run is None for c in crawls):
        return 2
    return 0 if all(c.ok for c in crawls) else 1
