"""`make demo`: the whole watch, offline, on recorded real notices.

A replay server (replay/) serves the recorded notices of data/recorded (BOAMP API records, TED eForms
notices, buyer platforms) with the APIs' semantics; the real spiders crawl it in `scrapy crawl` subprocesses
into the archive, then the later stages run. The replay endpoint has its own watermark, so a later live run
starts fresh.

The demo keeps every file it writes under data/demo/ (archive, private store, key, outbox, newsletter, log):
its paths override config.yaml and the WATCH_* variables, so its sample subscribers never reach a live
archive or private store, and it never mails anyone (file transport, no operators, no editors).
`run_watch.py demo --reset` (`make demo-reset`) removes data/demo/ and nothing else.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
from collections import Counter
from datetime import date, datetime, time, timedelta
from pathlib import Path

import sqlite_utils

from alerts.subscribers import import_csv
from archive.db import open_db
from archive.stores import open_private_store
from notices.dates import PARIS
from replay.approch import ApprochDataset, load_projects
from replay.boamp import BoampDataset, load_records
from replay.decp import DecpFiles
from replay.platforms import recorded_platforms
from replay.server import ReplayServer
from replay.ted import TedDataset, load_corpus
from settings import WatchError
from settings import config as watch_config
from settings.config import Config
from watch.jobs import JobResult, run_job, run_once
from watch.stats import collect

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "data" / "recorded"
DEMO_DIR = ROOT / "data" / "demo"
# the recorded fortnight ends on the last publication day holding at least this many recorded notices
BUSY_DAY = 10


def demo_env(demo_dir: Path = DEMO_DIR) -> dict[str, str]:
    """The WATCH_* overrides that keep the demo in its own files and mail nobody.

    They win over config.yaml and over WATCH_* variables already set: a shell prepared for a live
    deployment must not get the sample subscribers into the live private store.
    """
    private = demo_dir / "private"
    return {
        "WATCH_DB": str(demo_dir / "watch.db"),
        "WATCH_PRIVATE_DB": str(private / "watch-private.db"),
        "WATCH_KEY_FILE": str(private / "secret.key"),
        "WATCH_OUTBOX_DIR": str(private / "outbox"),
        "WATCH_NEWSLETTER_DIR": str(demo_dir / "newsletter"),
        "WATCH_OBSERVATORY_DIR": str(demo_dir),
        "WATCH_LOG_FILE": str(demo_dir / "logs" / "watch.log"),
        "WATCH_SMTP_URL": "",  # digests as .eml files in the demo's outbox, never over SMTP
        "WATCH_OPERATORS": "",
        "WATCH_EDITORS": "",
    }


def demo_config(config_path: Path | None, demo_dir: Path = DEMO_DIR) -> Config:
    """The configuration the demo runs with: the user's (themes, event, ...) with the demo's own files."""
    _check_checkout()
    return watch_config.load(config_path, env={**os.environ, **demo_env(demo_dir)})


def reset_demo(demo_dir: Path = DEMO_DIR) -> int:
    """`demo --reset`: remove the demo's files (data/demo/), nothing else."""
    if demo_dir.exists():
        shutil.rmtree(demo_dir)
        print(f"Demo reset: removed {demo_dir}")
    else:
        print(f"Demo reset: nothing to remove ({demo_dir} does not exist)")
    return 0


def mount_recorded(server: ReplayServer) -> tuple[dict[str, str], str]:
    """Serve the recorded corpus; returns the WATCH_* variables pointing the watch at it, and a summary."""
    records = load_records([CORPUS / "boamp"])
    ted_notices, ted_xml = load_corpus([CORPUS / "ted"])
    platforms = recorded_platforms(server, CORPUS / "buyers")
    decp = DecpFiles([CORPUS / "decp"])
    projects = load_projects([CORPUS / "approch"])
    env = {
        "WATCH_APPROCH_URL": ApprochDataset(projects).mount(server),
        "WATCH_BOAMP_URL": BoampDataset(records).mount(server),
        "WATCH_TED_URL": TedDataset(ted_notices, ted_xml).mount(server),
        # the recorded TED notices come from several countries and notice types: replay them all
        "WATCH_TED_SCOPE": "",
        "WATCH_TED_NOTICE_TYPES": "",
        "WATCH_PLATFORMS_ATEXO": json.dumps(platforms),
        "WATCH_PLATFORMS_SITES": "[]",
        "WATCH_PLATFORMS_FEEDS": "[]",
        "WATCH_DECP_URL": json.dumps(decp.mount(server)),
    }
    summary = (
        f"{len(records)} recorded BOAMP notices and {len(ted_notices)} TED notices ({len(ted_xml)} with eForms "
        f"XML), {len(projects)} APProch purchase project(s), the recorded pages of {len(platforms)} buyer "
        f"platforms and {len(decp.files)} DECP files, at {server.url}"
    )
    return env, summary


def _publication_days() -> list[str]:
    records = load_records([CORPUS / "boamp"])
    ted_notices, _ = load_corpus([CORPUS / "ted"])
    days = [str(r["dateparution"])[:10] for r in records if r.get("dateparution")]
    days += [str(n.get("publication-date") or n.get("PD"))[:10] for n in ted_notices]
    return days


def approch_days() -> tuple[date | None, date | None]:
    """The first and last expected publication days of the recorded APProch projects."""
    days = [p["date_previsionnelle_de_publication"] for p in load_projects([CORPUS / "approch"])]
    days = sorted(d for d in days if d)
    return (date.fromisoformat(days[0]), date.fromisoformat(days[-1])) if days else (None, None)


def weeks_before_expected() -> list[str]:
    """The ISO week before each recorded APProch project's expected day: the issue whose "À venir" announces it
    (the recorded projects are expected outside the recorded fortnight)."""
    weeks = set()
    for p in load_projects([CORPUS / "approch"]):
        if p.get("date_previsionnelle_de_publication"):
            year, week, _ = (
                date.fromisoformat(p["date_previsionnelle_de_publication"]) - timedelta(days=7)
            ).isocalendar()
            weeks.add(f"{year}-W{week:02d}")
    return sorted(weeks)


def last_recorded_quarter(config: Config) -> str | None:
    """The last quarter holding recorded contracts ("2024-Q4"): the demo writes its report, and compiles the
    newsletter of the week it closes, which carries its "Observatoire" block (the recorded contracts were
    notified outside the recorded fortnight)."""
    from observatory.filters import quarter_of

    with open_db(config.resolve_path("archive.path")) as db:
        last = db.execute("select max(notified) from contracts").fetchone()[0]
    return quarter_of(date.fromisoformat(last)) if last else None


def week_closing(quarter: str | None) -> list[str]:
    from observatory.filters import parse_period

    if quarter is None:
        return []
    year, week, _ = parse_period(quarter).end.isocalendar()
    return [f"{year}-W{week:02d}"]


def recorded_days() -> tuple[date, date]:
    days = _publication_days()
    return date.fromisoformat(min(days)), date.fromisoformat(max(days))


def demo_phases() -> list[tuple[date, date]]:
    """The crawl windows the demo runs the watch over, like a watch running through those weeks.

    First up to the end of the recorded fortnight (the last day holding at least BUSY_DAY notices), with the
    alerts of the morning after, when its tenders are still open; then up to each later recorded day, with the
    alerts of its morning after (a PIN asking for interest within four weeks is alerted while it is open).
    """
    days = _publication_days()
    first, last = date.fromisoformat(min(days)), date.fromisoformat(max(days))
    busy = [day for day, n in Counter(days).items() if n >= BUSY_DAY]
    end = date.fromisoformat(max(busy)) if busy else last
    later = sorted({d for d in map(date.fromisoformat, days) if d > end})
    phases, start = [(first, end)], end + timedelta(days=1)
    for day in later:
        phases.append((start, day))
        start = day + timedelta(days=1)
    return phases


def _check_checkout() -> None:
    """The recorded notices live in the source tree's data/, which the wheel does not carry."""
    if not CORPUS.is_dir():
        raise WatchError(f"{CORPUS}: no recorded notices here; the demo runs from a source checkout (`make demo`)")


def run_replay(port: int) -> int:
    """`run_watch.py replay`: the recorded sources on a local port until Ctrl-C, to try `serve` offline."""
    _check_checkout()
    import signal
    import threading

    with ReplayServer(port=port) as server:
        env, summary = mount_recorded(server)
        print(f"Replaying {summary}. Point the watch at it with:")
        for var, value in {**env, "WATCH_DECP_ENABLED": "true"}.items():
            print(f"export {var}={shlex.quote(value)}")
        print("(Ctrl-C or SIGTERM stops the replay)", flush=True)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    return 0


def run_demo(config_path: Path | None, demo_dir: Path = DEMO_DIR) -> int:
    phases = demo_phases()
    results, jobs = [], []
    with ReplayServer() as server:
        env, summary = mount_recorded(server)
        os.environ.update({**env, **demo_env(demo_dir)})  # the crawl subprocesses read the same
        config = demo_config(config_path, demo_dir)
        sample = (ROOT / "data" / "sample_subscribers.csv").read_text(encoding="utf-8")
        with open_private_store(config) as private:
            imported = import_csv(private, sample)
        print(f"Demo: replaying {summary}; published {phases[0][0]} .. {phases[-1][1]}")
        print(f"Demo: {len(imported)} sample subscribers (data/sample_subscribers.csv); files in {demo_dir}")
        first_day, last_day = approch_days()  # the purchase programmes, over their own expected days
        if config["sources.approch.enabled"] and first_day:
            jobs.append(run_job(config, "approch", from_date=first_day, until_date=last_day))
        for first, last in phases:
            # alerts as on the morning after the window: the tenders open then are the ones sent
            as_of = datetime.combine(last + timedelta(days=1), time(8), tzinfo=PARIS)
            print(f"Demo: crawling {first} .. {last}, alerts as of {as_of:%Y-%m-%d %H:%M}")
            crawled, done = run_once(config, from_date=first, until_date=last, as_of=as_of)
            results += crawled
            jobs += done
        # Awarded contracts are whole files, not dated windows: crawled once, whatever their dates, then the
        # companies register is loaded and the contracts linked and classified.
        print("Demo: crawling the recorded DECP files, loading the companies register")
        decp = run_job(config, "decp")
        results += [decp.crawl] if decp.crawl is not None else []
        register = [
            (None, path) for path in sorted((CORPUS / "companies").iterdir()) if path.suffix in (".csv", ".json")
        ]
        jobs.append(run_job(config, "companies", files=register, winners_only=False))
        jobs.append(run_job(config, "contracts"))
    from newsletter.run import recorded_weeks

    quarter = last_recorded_quarter(config)
    weeks = sorted({*recorded_weeks(config), *weeks_before_expected(), *week_closing(quarter)})
    newsletters = [run_job(config, "newsletter", week=week, mail=False) for week in weeks]
    observatories = demo_observatory(config, quarter)
    db_path = config.resolve_path("archive.path")
    with open_db(db_path) as db:
        stats = collect(db)
    print()
    print("What the demo did:")
    for result in results:
        print(f"  {result.summary()}")
    for job in jobs:
        print(f"  {job.line()}")
    for source, count in stats["by_source"].items():
        kinds = ", ".join(f"{r['count']} {r['kind']}/{r['status']}" for r in stats["by_kind"] if r["source"] == source)
        print(f"  archive: {count} {source} notices ({kinds})")
    states = ", ".join(f"{n} {state}" for state, n in stats["procedures"].items())
    print(f"  procedures (one per tender, across sources): {sum(stats['procedures'].values())} ({states})")
    with open_db(db_path) as db:
        themes = ", ".join(
            f"{n} {t}"
            for t, n in db.execute(
                "select theme, count(*) from notice_themes group by theme order by count(*) desc, theme"
            ).fetchall()
        )
        flags = db.execute(
            "select count(*), sum(reserved_contract), sum(insertion_clause), sum(social_criterion) from classifications"
        ).fetchone()
    print(f"  classified: {flags[0]} notices; themes: {themes or 'none'}")
    print(
        f"  social flags: {flags[1] or 0} reserved contracts, {flags[2] or 0} insertion clauses, "
        f"{flags[3] or 0} social criteria"
    )
    print(f"  quarantine: {stats['quarantine']} record(s)")
    with open_db(db_path) as db:
        print(f"  {_contracts_line(db)}")
    with open_private_store(config) as private:
        outbox = private.execute("select count(*), sum(items), sum(state = 'sent') from outbox").fetchone()
        digests = private.execute(
            "select s.name, count(o.id), coalesce(sum(o.items), 0) from subscribers s"
            " left join outbox o on o.subscriber_id = s.id group by s.id order by s.name"
        ).fetchall()
    print(f"  alerts: {outbox[0]} digest(s) with {outbox[1] or 0} tender(s) in the outbox, {outbox[2] or 0} delivered")
    for name, count, items in digests:
        print(f"    {name}: {count} digest(s), {items} tender(s)")
    _print_leads(config)
    print()
    print("Where the results are:")
    print(f"  archive   {db_path} (the analysts' file: notices, procedures, classifications, runs)")
    print(f"  private   {config.resolve_path('private.path')} (subscribers, digests, feedback: never share it)")
    print(
        f"  explore   WATCH_DB={db_path} .venv/bin/python run_watch.py explore  (Datasette on http://127.0.0.1:8001/)"
    )
    print(f"            WATCH_DB={db_path} .venv/bin/python run_watch.py stats | buyers | export --format xlsx")
    print(f"  upcoming  WATCH_DB={db_path} .venv/bin/python run_watch.py upcoming --from 2024-04-16")
    print(
        f'            sqlite3 {db_path} "select published, kind, title from notices order by published desc limit 10"'
    )
    print("  inspect   .venv/bin/python run_watch.py inspect data/recorded/boamp/flat_records_2024-02.jsonl")
    print(f"  log       {config.resolve_path('logging.file')}")
    print("  reset     make demo-reset (removes data/demo/ only)")
    print(f"  digests   {config.resolve_path('alerts.outbox_dir')}/*.eml (open them in a mail client)")
    print(
        f"  newsletter {config.resolve_path('newsletter.out_dir')}/ ({len(weeks)} recorded weeks x html, md, docx, txt)"
    )
    for job in observatories:
        print(f"  observatory {', '.join(job.output) or job.error}")
    return 0 if all(r.ok for r in [*results, *jobs, *newsletters, *observatories]) else 1


def _print_leads(config: Config) -> None:
    """The partnering leads the digests carried (the "Pistes de partenariat" block), per subscriber."""
    with open_private_store(config) as private:
        rows = private.execute(
            "select s.name, l.title from sent_leads l join subscribers s on s.id = l.subscriber_id"
            " order by s.name, l.rowid"
        ).fetchall()
    print(f"  partnering leads: {len(rows)} in the digests")
    for name, title in rows:
        print(f"    {name}: {title[:90]}")


def demo_observatory(config: Config, quarter: str | None = None) -> list[JobResult]:
    """The observatory's report of each recorded year (every contract, and the event's), from whatever the
    archive holds: DECP contracts when the demo loaded them, else the award notices alone; and the report of
    `quarter`, the one the newsletter's "Observatoire" block links to."""
    from observatory.run import recorded_years

    periods = [*recorded_years(config), *([quarter] if quarter else [])]
    return [run_job(config, "observatory", period=period) for period in periods]


def _contracts_line(db: sqlite_utils.Database) -> str:
    """What the demo holds of awarded contracts and of who won them."""
    from watch.stats import contract_counts

    c = contract_counts(db)
    return (
        f"contracts (DECP): {c['contracts']} ({c['holders']} holders, {c['social_clause']} with a social clause, "
        f"{c['with_theme']} on a theme, {c['linked']} linked to a notice); companies register: {c['companies']} "
        f"legal units ({c['companies_ess']} ESS, {c['companies_inclusive']} inclusive-employment, "
        f"{c['companies_sized']} with a size); holders found in it: {c['holders_in_register']} of {c['holders']}"
    )
