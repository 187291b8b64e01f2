"""`serve`: jobs in order without overlap, a clean stop on SIGTERM, one serve per archive."""

from __future__ import annotations

import gc
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from conftest import ROOT, Watch

from settings import config as watch_config
from settings.runtime import many_objects
from watch.scheduler import ServeLock, Service


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _fast_config(watch: Watch, cron: str = "*/2 * * * * *") -> None:
    """boamp and ted, every two seconds (a 6-field cron: seconds first); no platform configured."""
    watch.write_config(
        f"schedule:\n  cron: '{cron}'\n  misfire_grace: 30\n"
        f"alerts:\n  listen: 127.0.0.1:{_free_port()}\n"
        f"alarms:\n  min_free_mb: 1\n"
        f"logging:\n  file: ''\n"
    )
    watch.env["WATCH_PLATFORMS_ATEXO"] = "[]"


def test_a_fast_cron_fires_the_jobs_in_cycle_order_one_at_a_time(watch: Watch) -> None:
    _fast_config(watch)
    config = watch_config.load(watch.env["WATCH_CONFIG"], env=watch.env)
    spans: list[tuple[str, float, float]] = []

    def runner(_config: watch_config.Config, name: str) -> None:
        start = time.monotonic()
        time.sleep(0.15)
        spans.append((name, start, time.monotonic()))

    service = Service(config, runner)
    thread = threading.Thread(target=service.scheduler.start, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while sum(1 for name, *_ in spans if name == "alerts") < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    service.request_stop(signal.SIGTERM)
    thread.join(10)
    service.wait_for_running_job()

    names = [name for name, *_ in spans]
    assert names[:10] == ["boamp", "ted", "classify", "alerts", "alarms"] * 2
    assert "newsletter" not in names  # on its own weekly cron
    for (_, _, end), (_, start, _) in zip(spans, spans[1:], strict=False):
        assert end <= start  # never two jobs at once


_SLOW_SERVE = """
import sys, time
from pathlib import Path
from settings import config
from watch import logs
from watch.scheduler import serve

marks = Path(sys.argv[1])

def runner(cfg, name):
    with marks.open("a") as f:
        f.write(f"start {name}\\n")
    time.sleep(3)
    with marks.open("a") as f:
        f.write(f"end {name}\\n")

logs.setup("INFO")
sys.exit(serve(config.load(), runner))
"""


def test_sigterm_during_a_job_lets_it_finish_and_starts_no_other(watch: Watch, tmp_path: Path) -> None:
    _fast_config(watch)
    marks = tmp_path / "marks.txt"
    proc = subprocess.Popen(
        [sys.executable, "-c", _SLOW_SERVE, str(marks)],
        cwd=ROOT,
        env={**watch.env, "PYTHONPATH": str(ROOT)},
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60  # a loaded machine: the subprocess starts slowly
        while not (marks.exists() and "start boamp" in marks.read_text()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marks.exists(), "no job started"
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, stderr
    assert marks.read_text() == "start boamp\nend boamp\n"
    assert "received SIGTERM: stopping after the running job" in stderr
    assert "job ted: not started, serve is stopping" in stderr
    assert stderr.rstrip().endswith("serve: stopped")


def test_a_second_serve_on_the_same_archive_refuses_to_start(watch: Watch) -> None:
    _fast_config(watch, cron="0 3 * * mon")
    lock = ServeLock(watch.db_path).acquire()
    try:
        proc = watch.run("serve", timeout=60)
    finally:
        lock.release()
    assert proc.returncode == 1
    assert "another serve" in proc.stderr and "watch.db.serve.lock" in proc.stderr


def test_what_a_job_froze_is_the_collectors_again_after_it(watch: Watch) -> None:
    _fast_config(watch)
    config = watch_config.load(watch.env["WATCH_CONFIG"], env=watch.env)
    seen: list[int] = []

    def runner(_config: watch_config.Config, _name: str) -> None:
        with many_objects(kept=True):  # as the observatory's records
            records = [[i] for i in range(1_000)]
        seen.append(gc.get_freeze_count())
        del records

    Service(config, runner).run("observatory")
    assert seen and seen[0] >= 1_000 and gc.get_freeze_count() == 0
