"""Ingest benchmark: 100,000 real BOAMP records (re-keyed) through the spider into the archive.

End to end: a replay server (in this process) serves the records with the API's paging and cap; the real
`run_watch.py crawl boamp` (-> `scrapy crawl`) reads them into a fresh archive. Measured: records/s and the
peak RSS of the crawl processes. Floor, in the same run: the same pages parsed with json.loads, mapped
to notices and upserted into another fresh archive by the same Archive code, without HTTP or Scrapy.

Targets (issue 2): >= 1,000 records/s end to end, within 3x of the floor, peak RSS under 400 MB.

    .venv/bin/python bench/ingest.py [--records 100000] [--days 20]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive.db import open_db  # noqa: E402
from archive.store import Archive  # noqa: E402
from notices.boamp import parse_record  # noqa: E402
from replay.boamp import BoampDataset, load_records, rekeyed  # noqa: E402
from replay.server import ReplayServer  # noqa: E402


def tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and its descendants (the CLI and its scrapy child), from /proc.

    Sampled rather than read from getrusage: a forked child's ru_maxrss counts the parent's pages before
    exec, which here would be the benchmark's own in-memory dataset.
    """
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            status = (entry / "status").read_text()
        except OSError:
            continue
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
        line = next((x for x in status.splitlines() if x.startswith("VmRSS:")), None)
        rss[int(entry.name)] = int(line.split()[1]) if line else 0
    tree, frontier = {pid}, [pid]
    while frontier:
        current = frontier.pop()
        children = [p for p, parent in parents.items() if parent == current]
        tree.update(children)
        frontier.extend(children)
    return sum(rss.get(p, 0) for p in tree)


def end_to_end(dataset: BoampDataset, first: date, last: date, workdir: Path) -> tuple[float, int, dict]:
    with ReplayServer() as server:
        url = dataset.mount(server)
        config = workdir / "config.yaml"
        config.write_text(f"logging:\n  file: {workdir / 'crawl.log'}\n", encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith("WATCH_")}
        env.update({"WATCH_DB": str(workdir / "e2e.db"), "WATCH_BOAMP_URL": url, "WATCH_CONFIG": str(config)})
        cmd = [sys.executable, str(ROOT / "run_watch.py"), "crawl", "boamp", "--from", str(first), "--until", str(last)]
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        peak_kb = 0
        while proc.poll() is None:
            peak_kb = max(peak_kb, tree_rss_kb(proc.pid))
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        stderr = proc.stderr.read() if proc.stderr else ""
    if proc.returncode != 0:
        sys.exit(f"crawl failed:\n{stderr[-3000:]}")
    db = open_db(workdir / "e2e.db")
    run = dict(next(db.query("select * from runs order by id desc limit 1")))
    run["archived"] = db.execute("select count(*) from notices").fetchone()[0]
    db.close()
    return elapsed, peak_kb, run


def floor(dataset: BoampDataset, workdir: Path, page: int = 100, batch: int = 500) -> tuple[float, int]:
    pages = [
        b'{"total_count": %d, "results": [' % len(dataset.records) + b", ".join(dataset.encoded[i : i + page]) + b"]}"
        for i in range(0, len(dataset.records), page)
    ]
    archive = Archive(open_db(workdir / "floor.db"))
    started = time.perf_counter()
    buffer = []
    for body in pages:
        for record in json.loads(body)["results"]:
            buffer.append(parse_record(record, raw=json.dumps(record, ensure_ascii=False)))
            if len(buffer) >= batch:
                archive.upsert_notices(buffer)
                buffer = []
    archive.upsert_notices(buffer)
    elapsed = time.perf_counter() - started
    count = archive.db.execute("select count(*) from notices").fetchone()[0]
    archive.db.close()
    return elapsed, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=20, help="publication days the records are spread over")
    args = parser.parse_args()
    templates = load_records([ROOT / "data" / "recorded" / "boamp"])
    first = date(2026, 1, 5)
    days = [first + timedelta(days=i) for i in range(args.days)]
    print(f"building {args.records:,} re-keyed records from {len(templates)} real ones over {args.days} days ...")
    dataset = BoampDataset(rekeyed(templates, args.records, days))
    size_mb = sum(len(b) for b in dataset.encoded) / 1e6
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        work = Path(tmp)
        f_elapsed, f_count = floor(dataset, work)
        e_elapsed, peak_kb, run = end_to_end(dataset, days[0], days[-1], work)
    e_rate, f_rate = args.records / e_elapsed, f_count / f_elapsed
    print(f"records: {args.records:,} ({size_mb:,.0f} MB of JSON), archived end to end: {run['archived']:,}")
    print(f"end to end (replay HTTP -> scrapy -> archive): {e_elapsed:6.1f} s  {e_rate:8,.0f} records/s")
    print(f"floor (json.loads + map + upsert, no Scrapy):  {f_elapsed:6.1f} s  {f_rate:8,.0f} records/s")
    print(f"end to end / floor time: {e_elapsed / f_elapsed:.2f}x")
    print(f"peak RSS of the crawl (CLI + scrapy processes, sampled): {peak_kb / 1024:,.0f} MB")
    ok = e_rate >= 1000 and e_elapsed / f_elapsed <= 3 and peak_kb / 1024 < 400 and run["archived"] == args.records
    print(f"targets (>= 1,000 records/s, <= 3x floor, < 400 MB, every record archived): {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
