"""Crontab lines as APScheduler triggers: the one parser serve, check-config and the health checks share.

A leaf module (it imports nothing of the watch), so the health checks can read the schedule without
importing the job runner that runs them.
"""

from __future__ import annotations

from typing import Any


def cron_trigger(value: str, timezone: str | None = None) -> Any:
    """A crontab line as an APScheduler trigger: 5 fields, or 6 with seconds first (for trials and tests)."""
    from apscheduler.triggers.cron import CronTrigger

    fields = str(value).split()
    if len(fields) == 6:
        second, minute, hour, day, month, day_of_week = fields
        return CronTrigger(
            second=second, minute=minute, hour=hour, day=day, month=month, day_of_week=day_of_week, timezone=timezone
        )
    if len(fields) != 5:
        raise ValueError(f"expected 5 fields (or 6 with seconds first), got {len(fields)}")
    return CronTrigger.from_crontab(str(value), timezone=timezone)
