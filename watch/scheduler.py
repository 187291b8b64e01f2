"""`run_watch.py serve`: the watch on a schedule (APScheduler 3.x, cron in Europe/Paris by default).

One job runs the whole watch; `max_instances=1` and coalescing mean a slow run is never overlapped and
missed firings collapse into one. SIGTERM/SIGINT stop the scheduler after the running job finishes.
"""

from __future__ import annotations

import logging
import signal
from typing import Any

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger

from newsletter.run import mail_to_editors
from watch.config import Config
from watch.pipeline import run_once

logger = logging.getLogger(__name__)


def build_scheduler(config: Config) -> BlockingScheduler:
    tz = config["schedule.timezone"]
    scheduler = BlockingScheduler(timezone=tz)
    scheduler.add_job(
        run_once,
        CronTrigger.from_crontab(config["schedule.cron"], timezone=tz),
        args=[config],
        id="watch",
        name="whole watch",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=3600,
    )
    scheduler.add_job(
        mail_to_editors,
        CronTrigger.from_crontab(config["newsletter.cron"], timezone=tz),
        args=[config],
        id="newsletter",
        name="weekly newsletter",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=6 * 3600,
    )
    return scheduler


def start_endpoint(config: Config) -> Any:
    """The alerts' unsubscribe and feedback endpoint, beside the scheduler."""
    from alerts.tokens import Signer, secret_key
    from alerts.web import AlertsWeb
    from archive.db import open_db

    path = config.resolve_path("archive.path")
    db = open_db(path)
    signer = Signer(secret_key(db))
    db.close()
    host, _, port = config["alerts.listen"].rpartition(":")
    return AlertsWeb(path, signer, host, int(port)).start()


def serve(config: Config) -> int:
    scheduler = build_scheduler(config)
    endpoint = start_endpoint(config)

    def stop(signum: int, _frame: Any) -> None:
        logger.info("received %s: stopping after the running job", signal.Signals(signum).name)
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    logger.info("serve: whole watch on cron %r (%s)", config["schedule.cron"], config["schedule.timezone"])
    try:
        scheduler.start(paused=False)
    finally:
        endpoint.stop()
    logger.info("serve: stopped")
    return 0
