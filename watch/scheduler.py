"""`run_watch.py serve`: the watch as a long-running service (APScheduler 3.x BlockingScheduler).

Jobs (each source's crawl, classify, alerts, the newsletter) come from the configuration, each on its cron
in `schedule.timezone`. One worker thread runs them one at a time: jobs firing together run in cycle order
(APScheduler orders jobs due at the same instant by id, and the ids carry that order), `max_instances=1`
and coalescing mean a slow job is never overlapped and missed firings collapse into one, and a firing later
than `schedule.misfire_grace` is skipped. The alarms are checked last in each cycle, once every job due
with it has run, so that a source whose crawl is merely queued is never reported late.

A lock file beside the archive keeps a second `serve` off the same archive. SIGTERM and SIGINT stop the
scheduler; the running job finishes (its crawl runs in its own session, so a terminal's Ctrl-C does not
cut it short), queued ones do not start.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import signal
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.blocking import BlockingScheduler

from settings import Config, WatchError
from settings.runtime import thaw
from watch.crons import cron_trigger
from watch.jobs import JOB_NAMES, run_job, scheduled_jobs

logger = logging.getLogger("watch.serve")

Runner = Callable[[Config, str], Any]


class AlreadyRunning(WatchError, RuntimeError):
    """Another serve holds the archive's lock file."""


class ServeLock:
    """An exclusive flock on `<archive>.serve.lock`, released by the kernel if the process dies."""

    def __init__(self, archive: Path):
        self.path = archive.with_name(archive.name + ".serve.lock")
        self.fd: int | None = None

    def acquire(self) -> ServeLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise AlreadyRunning(f"another serve (pid {holder}) holds {self.path}") from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self.fd = fd
        return self

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing drops the flock; the file stays, harmless
            self.fd = None


def _default_runner(config: Config, name: str) -> Any:
    return run_job(config, name, detach=True)


class Service:
    """The scheduler, its jobs, and a clean stop."""

    def __init__(self, config: Config, runner: Runner | None = None):
        self.config = config
        self.runner = runner or _default_runner
        self.stopping = threading.Event()
        self.busy = threading.Lock()  # held while a job runs: stop() waits on it
        self.scheduler = build_scheduler(config, self.run)

    def run(self, name: str) -> None:
        if self.stopping.is_set():
            logger.info("job %s: not started, serve is stopping", name)
            return
        with self.busy:
            logger.info("job %s: starting", name)
            try:
                self.runner(self.config, name)
            except Exception:  # the service outlives a job's bug; the traceback is in the log
                logger.exception("job %s crashed", name)
            finally:
                thaw()  # what the job froze (the observatory's records) is the collector's again

    def request_stop(self, signum: int, _frame: Any = None) -> None:
        if self.stopping.is_set():
            return
        running = self.busy.locked()
        logger.info("received %s: stopping%s", signal.Signals(signum).name, " after the running job" if running else "")
        self.stopping.set()
        with contextlib.suppress(SchedulerNotRunningError):  # a signal before the scheduler started
            self.scheduler.shutdown(wait=False)

    def wait_for_running_job(self) -> None:
        with self.busy:
            pass


def build_scheduler(config: Config, run: Callable[[str], None]) -> BlockingScheduler:
    tz = config["schedule.timezone"]
    scheduler = BlockingScheduler(
        timezone=tz,
        executors={"default": ThreadPoolExecutor(max_workers=1)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": config["schedule.misfire_grace"]},
    )
    for name, cron in scheduled_jobs(config):
        scheduler.add_job(run, cron_trigger(cron, tz), args=[name], id=f"{JOB_NAMES.index(name):02d}-{name}", name=name)
    return scheduler


def start_endpoint(config: Config) -> Any:
    """The web pages (sign-up, preferences, the digests' links): uvicorn in a thread beside the scheduler."""
    from alerts.web import web_from

    return web_from(config).start()


def serve(config: Config, runner: Runner | None = None) -> int:
    try:
        lock = ServeLock(config.resolve_path("archive.path")).acquire()
    except AlreadyRunning as exc:
        logger.error("serve: not started: %s", exc)
        return 1
    try:
        _close_stale_runs(config)
        service = Service(config, runner)
        try:
            endpoint = start_endpoint(config)
        except OSError as exc:
            logger.error("serve: cannot listen on %s (alerts.listen): %s", config["alerts.listen"], exc)
            return 2
        signal.signal(signal.SIGTERM, service.request_stop)
        signal.signal(signal.SIGINT, service.request_stop)
        for name, cron, next_run in next_runs(config):
            logger.info("serve: job %s on %r, next at %s", name, cron, f"{next_run:%Y-%m-%d %H:%M:%S %Z}")
        logger.info(
            "serve: running (pid %d, archive %s); SIGTERM or Ctrl-C stops it",
            os.getpid(),
            config.resolve_path("archive.path"),
        )
        try:
            if not service.stopping.is_set():
                service.scheduler.start()  # blocks until request_stop
        finally:
            if service.busy.locked():
                logger.info("serve: waiting for the running job to finish")
            service.wait_for_running_job()
            endpoint.stop()
        logger.info("serve: stopped")
        return 0
    finally:
        lock.release()


def _close_stale_runs(config: Config) -> None:
    from archive.db import open_db
    from archive.runs import close_stale_runs

    day_ago = (datetime.now(UTC) - timedelta(days=1)).isoformat(timespec="seconds")
    with open_db(config.resolve_path("archive.path")) as db:
        closed = close_stale_runs(db, day_ago)
    if closed:
        logger.warning("serve: %d run(s) left 'running' for over a day marked interrupted", closed)


def next_runs(config: Config, now: datetime | None = None) -> list[tuple[str, str, datetime]]:
    """(job, cron, next firing) of every scheduled job, for the start-up log and check-config."""
    tz = ZoneInfo(config["schedule.timezone"])
    now = now or datetime.now(tz)
    return [
        (name, cron, cron_trigger(cron, config["schedule.timezone"]).get_next_fire_time(None, now))
        for name, cron in scheduled_jobs(config)
    ]
