"""Issue 12: bad state is one clear line, exit 2; the analysts' archive holds nothing private."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import sqlite_utils
from conftest import ROOT, Watch
from test_health import _config, _run

from alerts.tokens import Signer
from alerts.web import AlertsWeb
from archive import runs
from archive.db import MIGRATIONS, migrate, open_db
from archive.private import TABLES, open_private
from archive.store import Archive
from archive.stores import open_private_store
from settings import config as watch_config
from watch import cli


@pytest.mark.parametrize("command", ["stats", "status", "alerts", "check-config", "classify"])
def test_a_corrupt_archive_is_one_line_naming_the_path(watch: Watch, command: str) -> None:
    watch.db_path.write_bytes(b"this is not a database, it was cut short by a full disk" * 100)
    proc = watch.run(command)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip() and "using defaults" not in line]
    assert len(lines) == 1 and str(watch.db_path) in lines[0] and "Traceback" not in proc.stderr, proc.stderr


def test_an_archive_that_cannot_be_created_is_one_line(watch: Watch, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    watch.env["WATCH_DB"] = str(blocker / "watch.db")  # its parent is a file: nothing can be created there
    for command in ("stats", "once"):
        proc = watch.run(command)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
        assert f"{blocker / 'watch.db'}: cannot open the archive" in proc.stderr


def test_a_missing_default_config_is_said_plainly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.delenv("WATCH_CONFIG", raising=False)
    monkeypatch.setenv("WATCH_DB", str(tmp_path / "w.db"))
    monkeypatch.setenv("WATCH_PRIVATE_DB", str(tmp_path / "p.db"))
    monkeypatch.setenv("WATCH_KEY_FILE", str(tmp_path / "k.key"))
    monkeypatch.setenv("WATCH_LOG_FILE", "")
    monkeypatch.chdir(tmp_path)  # no config.yaml in the working directory
    monkeypatch.setattr(cli.logs, "setup", lambda *a, **k: None)  # no handler left on pytest's captured stderr
    assert cli.main(["check-config"]) == 0
    out = capsys.readouterr()
    assert "no config.yaml at" in out.err and "using defaults" in out.err
    assert "missing, using defaults" in out.out and "valid" not in out.out.splitlines()[0]


def test_a_named_config_that_is_missing_is_an_error(watch: Watch, tmp_path: Path) -> None:
    watch.env["WATCH_CONFIG"] = str(tmp_path / "nope.yaml")
    proc = watch.run("check-config")
    assert proc.returncode == 2 and "no such configuration file" in proc.stderr


def test_check_config_opens_the_archive_and_the_private_store(watch: Watch) -> None:
    proc = watch.run("check-config")
    assert proc.returncode == 0, proc.stderr
    assert "archive:" in proc.stdout and "private store:" in proc.stdout
    Path(watch.env["WATCH_PRIVATE_DB"]).write_bytes(b"garbage" * 1000)
    proc = watch.run("check-config")
    assert proc.returncode == 2 and "cannot open the private store" in proc.stderr


@pytest.mark.parametrize("days", ["-5", "0", "many"])
def test_prune_accepts_only_a_positive_number_of_days(watch: Watch, days: str) -> None:
    proc = watch.run("prune", "--days", days)
    assert proc.returncode == 2 and "--days" in proc.stderr and "Traceback" not in proc.stderr


def test_status_shows_the_first_failure_at_once_without_an_alarm(watch: Watch) -> None:
    _config(watch)
    _run(watch, "ok", timedelta(hours=3), fetched=120, new=80)
    _run(watch, "failed", timedelta(minutes=5), error="network unreachable")
    proc = watch.run("status")
    assert proc.returncode == 1
    assert "boamp    failed" in proc.stdout and "the last crawl failed (1 of 3" in proc.stdout
    assert "network unreachable" in proc.stdout


def test_a_run_whose_process_died_is_closed_at_the_next_job(watch: Watch) -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # a pid that no longer exists
    db = open_db(watch.db_path)
    archive = Archive(db)
    dead = runs.start_crawl(archive.db, "boamp")
    with db.conn:
        db.execute("update runs set pid = ? where id = ?", [child.pid, dead])
    alive = runs.start_run(archive.db, "classify")  # this process: alive
    runs.start_run(archive.db, "alerts")
    outcomes = dict(db.execute("select id, outcome from runs").fetchall())
    assert outcomes[dead] == "interrupted" and outcomes[alive] == "running"
    db.close()


def test_a_broken_pipe_exits_quietly(watch: Watch) -> None:
    # inspect prints some 400 kB, far more than a pipe's buffer: the reader leaves while the watch still writes
    files = sorted(str(p) for p in (ROOT / "tests" / "fixtures" / "boamp").glob("*.json"))
    proc = subprocess.Popen(
        watch.command("inspect", "--raw", *files),
        cwd=ROOT,
        env=watch.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.read(20)  # as `| head -c 20` does
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0 and stderr == "", stderr


def test_bad_spider_arguments_are_a_usage_error(watch: Watch) -> None:
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "scrapy"), "crawl", "boamp", "-a", "from_date=2026-13-01"],
        cwd=ROOT,
        env=watch.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "from_date='2026-13-01': expected a date as YYYY-MM-DD" in proc.stderr
    assert "Task exception was never retrieved" not in proc.stderr and "Traceback" not in proc.stderr


def _http(url: str, data: bytes | None = None, headers: dict | None = None) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers or {})) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_endpoint_malformed_requests_altered_tokens_and_replays(tmp_path: Path) -> None:
    private = open_private(tmp_path / "p.db")
    sub_id = private["subscribers"].insert({"name": "S", "emails": '["a@b.org"]', "active": 1}).last_pk
    signer = Signer(b"k" * 32)
    web = AlertsWeb(tmp_path / "p.db", signer).start()
    try:
        token = signer.sign("u", sub_id)
        import http.client

        host, port = web.socket.getsockname()[:2]
        conn = http.client.HTTPConnection(host, port, timeout=10)
        conn.putrequest("POST", f"/u/{token}")
        conn.putheader("Content-Length", "twelve")
        conn.endheaders()
        assert conn.getresponse().status == 400
        assert private.execute("select active from subscribers").fetchone()[0] == 1
        accepted = 0
        for i in range(len(token)):
            for c in "AZaz09-_.=":
                if c != token[i]:
                    accepted += _http(f"{web.url}/u/{token[:i]}{c}{token[i + 1 :]}", b"x=1") == 200
        assert accepted == 0
        for _ in range(3):
            assert _http(f"{web.url}/u/{token}", b"List-Unsubscribe=One-Click") == 200
        feedback = signer.sign("f", sub_id, "boamp:26-1")
        assert _http(f"{web.url}/f/{feedback}", b"reason=trop_loin") == 403  # no CSRF token: refused
        browser = httpx.Client(base_url=web.url)
        for reason in ("trop_loin", "trop_loin", "hors_metier"):
            csrf = re.search(r'name="csrf" value="([^"]+)"', browser.get(f"/f/{feedback}").text)[1]
            assert browser.post(f"/f/{feedback}", data={"reason": reason, "csrf": csrf}).status_code == 200
        assert private["unsubscribes"].count == 1
        assert private.execute("select reason from feedback").fetchall() == [("hors_metier",)]
    finally:
        web.stop()


def _old_archive(path: Path) -> None:
    """An archive as the watch wrote it before the private store (migrations up to 006)."""
    db = sqlite_utils.Database(path)
    db["_migrations"].create({"name": str, "applied_at": str}, pk="name")
    for name, migration in MIGRATIONS[:6]:
        migration(db)
        db["_migrations"].insert({"name": name, "applied_at": "2026-11-01T00:00:00+00:00"})
    db["subscribers"].insert({"id": 7, "name": "Régie", "emails": '["contact@regie.example.org"]', "active": 1})
    db["sent_items"].insert({"subscriber_id": 7, "procedure_id": "P1", "signature": "s"})
    db["outbox"].insert({"id": 3, "subscriber_id": 7, "state": "sent", "eml": "To: contact@regie.example.org"})
    db["feedback"].insert({"subscriber_id": 7, "procedure_id": "P1", "reason": "trop_loin"})
    db["unsubscribes"].insert({"subscriber_id": 7, "how": "one-click"})
    db["settings"].insert({"key": "secret_key", "value": "the-old-key-that-signed-mailed-links"})
    db.close()


def test_an_old_archive_gives_its_private_data_to_the_private_store_once(watch: Watch, monkeypatch) -> None:  # noqa: ANN001
    _old_archive(watch.db_path)
    monkeypatch.delenv("WATCH_SECRET_KEY", raising=False)
    config = watch_config.load(watch.env["WATCH_CONFIG"], env=watch.env)
    for _ in range(2):  # a second open moves nothing more
        private = open_private_store(config)
        assert private["subscribers"].count == 1 and private["outbox"].count == 1
        assert [r["id"] for r in private["subscribers"].rows] == [7]  # ids kept: mailed links stay valid
        assert (
            private["feedback"].count == 1 and private["sent_items"].count == 1 and private["unsubscribes"].count == 1
        )
        private.close()
    key_file = Path(watch.env["WATCH_KEY_FILE"])
    assert key_file.read_text().strip() == "the-old-key-that-signed-mailed-links"
    assert key_file.stat().st_mode & 0o777 == 0o600
    archive = sqlite3.connect(watch.db_path)
    tables = {r[0] for r in archive.execute("select name from sqlite_master where type = 'table'")}
    archive.close()
    assert not tables & {*TABLES, "settings"}
    for path in watch.db_path.parent.glob(watch.db_path.name + "*"):  # the file, its WAL and shared memory
        assert b"contact@regie.example.org" not in path.read_bytes(), path
        assert b"the-old-key" not in path.read_bytes(), path


def test_a_new_archive_has_no_private_table(tmp_path: Path) -> None:
    db = open_db(tmp_path / "new.db")
    assert not set(db.table_names()) & {*TABLES, "settings"}
    assert migrate(db) == []
    db.close()
