"""`make demo`: the whole watch, offline, on recorded real notices.

A replay server (replay/) serves the recorded BOAMP API responses of data/recorded with the API's
semantics; the real spider crawls it in a `scrapy crawl` subprocess into the archive, then the later
stages run. The replay endpoint has its own watermark, so a later live run starts fresh.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
from datetime import date, datetime, time, timedelta
from pathlib import Path

from alerts.subscribers import import_csv
from archive.db import open_db
from archive.stores import open_private_store
from notices.dates import PARIS
from replay.boamp import BoampDataset, load_records
from replay.platforms import recorded_platforms
from replay.server import ReplayServer
from replay.ted import TedDataset, load_corpus
from settings import WatchError
from settings import config as watch_config
from watch.jobs import run_job, run_once
from watch.stats import collect

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "data" / "recorded"


def mount_recorded(server: ReplayServer) -> tuple[dict[str, str], str]:
    """Serve the recorded corpus; returns the WATCH_* variables pointing the watch at it, and a summary."""
    records = load_records([CORPUS / "boamp"])
    ted_notices, ted_xml = load_corpus([CORPUS / "ted"])
    platforms = recorded_platforms(server, CORPUS / "buyers")
    env = {
        "WATCH_BOAMP_URL": BoampDataset(records).mount(server),
        "WATCH_TED_URL": TedDataset(ted_notices, ted_xml).mount(server),
        # the recorded TED notices come from several countries and notice types: replay them all
        "WATCH_TED_SCOPE": "",
        "WATCH_TED_NOTICE_TYPES": "",
        "WATCH_PLATFORMS_ATEXO": json.dumps(platforms),
        "WATCH_PLATFORMS_SITES": "[]",
        "WATCH_PLATFORMS_FEEDS": "[]",
    }
    summary = (
        f"{len(records)} recorded BOAMP notices and {len(ted_notices)} TED notices ({len(ted_xml)} with eForms "
        f"XML), and the recorded pages of {len(platforms)} buyer platforms, at {server.url}"
    )
    return env, summary


def recorded_days() -> tuple[date, date]:
    records = load_records([CORPUS / "boamp"])
    ted_notices, _ = load_corpus([CORPUS / "ted"])
    days = [r["dateparution"] for r in records if r.get("dateparution")]
    days += [str(n.get("publication-date") or n.get("PD"))[:10] for n in ted_notices]
    return date.fromisoformat(min(days)), date.fromisoformat(max(days))


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
        for var, value in env.items():
            print(f"export {var}={shlex.quote(value)}")
        print("(Ctrl-C or SIGTERM stops the replay)", flush=True)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    return 0


def run_demo(config_path: Path | None) -> int:
    _check_checkout()
    first, last = recorded_days()
    with ReplayServer() as server:
        env, summary = mount_recorded(server)
        os.environ.update(env)
        config = watch_config.load(config_path)
        sample = (ROOT / "data" / "sample_subscribers.csv").read_text(encoding="utf-8")
        with open_private_store(config) as private:
            imported = import_csv(private, sample)
        print(f"Demo: replaying {summary}; published {first} .. {last}")
        # alerts as on the morning after the last recorded publication: the tenders open then are the ones sent
        as_of = datetime.combine(last + timedelta(days=1), time(8), tzinfo=PARIS)
        print(f"Demo: {len(imported)} sample subscribers (data/sample_subscribers.csv), alerts as of {as_of:%Y-%m-%d}")
        results, jobs = run_once(config, from_date=first, until_date=last, as_of=as_of)
    from newsletter.run import recorded_weeks

    weeks = recorded_weeks(config)
    newsletters = [run_job(config, "newsletter", week=week, mail=False) for week in weeks]
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
    with open_private_store(config) as private:
        outbox = private.execute("select count(*), sum(items), sum(state = 'sent') from outbox").fetchone()
    print(f"  alerts: {outbox[0]} digest(s) with {outbox[1] or 0} tender(s) in the outbox, {outbox[2] or 0} delivered")
    print()
    print("Where the results are:")
    print(f"  archive   {db_path} (the analysts' file: notices, procedures, classifications, runs)")
    print(f"  private   {config.resolve_path('private.path')} (subscribers, digests, feedback: never share it)")
    print("  explore   .venv/bin/python run_watch.py stats")
    print(
        f'            sqlite3 {db_path} "select published, kind, title from notices order by published desc limit 10"'
    )
    print("  inspect   .venv/bin/python run_watch.py inspect data/recorded/boamp/fns_2026_contract_notices.json")
    print(f"  digests   {config.resolve_path('alerts.outbox_dir')}/*.eml (open them in a mail client)")
    print(
        f"  newsletter {config.resolve_path('newsletter.out_dir')}/ ({len(weeks)} recorded weeks x html, md, docx, txt)"
    )
    return 0 if all(r.ok for r in [*results, *jobs, *newsletters]) else 1
