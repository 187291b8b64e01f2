"""Deployable: the spiders go to a real Scrapyd node with `scrapyd-deploy`, and a scheduled crawl fills the
archive that the node's environment names (WATCH_DB), once, however often it is scheduled."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlite_utils
from conftest import all_boamp_records

from replay.boamp import BoampDataset
from replay.server import ReplayServer

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SKIP = shutil.ignore_patterns(".git", ".venv", "data", "tests", "private", "build", "*.egg-info", "__pycache__")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _api(base: str, path: str, data: dict[str, str] | None = None) -> dict:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with urllib.request.urlopen(f"{base}/{path}", data=body, timeout=30) as resp:
        return json.loads(resp.read())


@pytest.fixture
def node(tmp_path: Path) -> Iterator[tuple[str, Path, ReplayServer, int]]:
    """A Scrapyd node on loopback whose environment points the watch at a replayed BOAMP and an archive."""
    replay = ReplayServer().start()
    records = all_boamp_records()
    port = _free_port()
    home = tmp_path / "node"
    home.mkdir()
    (home / "scrapyd.conf").write_text(
        f"[scrapyd]\nbind_address = 127.0.0.1\nhttp_port = {port}\npoll_interval = 0.2\nmax_proc = 1\n"
        "eggs_dir = eggs\nlogs_dir = logs\ndbs_dir = dbs\nitems_dir =\n",
        encoding="utf-8",
    )
    archive = tmp_path / "node-archive.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("WATCH_")}
    env.update(
        {
            "WATCH_DB": str(archive),
            "WATCH_BOAMP_URL": BoampDataset(records).mount(replay),
            "WATCH_LOG_FILE": "",
        }
    )
    proc = subprocess.Popen(
        [str(BIN / "scrapyd")], cwd=home, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if _api(base, "daemonstatus.json")["status"] == "ok":
                    break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("scrapyd did not start")
        yield base, archive, replay, len(records)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        replay.stop()


def _crawl(base: str) -> str:
    job = _api(
        base,
        "schedule.json",
        {"project": "ess_tender_watch", "spider": "boamp", "from_date": "2006-01-01", "until_date": "2026-09-30"},
    )
    assert job["status"] == "ok", job
    for _ in range(600):
        jobs = _api(base, "listjobs.json?project=ess_tender_watch")
        if any(j["id"] == job["jobid"] for j in jobs["finished"]):
            return job["jobid"]
        time.sleep(0.1)
    pytest.fail("the scheduled crawl did not finish")


def test_spiders_deploy_to_scrapyd_and_crawl_into_the_archive_once(
    node: tuple[str, Path, ReplayServer, int], tmp_path: Path
) -> None:
    base, archive, _replay, expected = node
    project = tmp_path / "checkout"
    shutil.copytree(ROOT, project, ignore=SKIP)  # scrapyd-deploy writes build files: not into the source tree
    cfg = (project / "scrapy.cfg").read_text(encoding="utf-8")
    (project / "scrapy.cfg").write_text(cfg + f"\n[deploy:loopback]\nurl = {base}/\nproject = ess_tender_watch\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("WATCH_")}
    proc = subprocess.run(
        [str(BIN / "scrapyd-deploy"), "loopback"], cwd=project, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0 and '"status": "ok"' in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    assert "boamp" in _api(base, "listspiders.json?project=ess_tender_watch")["spiders"]

    _crawl(base)
    db = sqlite_utils.Database(archive)
    try:
        assert db.execute("select count(*) from notices").fetchone()[0] == expected
        assert db.execute("select count(*) from runs where job = 'crawl:boamp' and outcome = 'ok'").fetchone()[0] == 1
    finally:
        db.close()
    _crawl(base)  # scheduled again: nothing is duplicated
    db = sqlite_utils.Database(archive)
    try:
        assert db.execute("select count(*) from notices").fetchone()[0] == expected
        assert db.execute("select count(distinct source_id) from notices").fetchone()[0] == expected
    finally:
        db.close()
