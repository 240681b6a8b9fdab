"""A consumer's SLA as dates: which day it must hold at a given moment, and since when.

The SLA is `meta.consumer.deadline_cron`: by each tick, the consumer holds the newest day it is sent
(`send_on`) that had ended before the tick's date. Daily at 09:00 UTC: at 09:00 on D+1 it holds D.
Mondays at 09:00 UTC (send_on monday): at 09:00 on Monday M it holds the Monday before, M-7 (a
Monday's data is complete only on Tuesday). The freshness checks, the destinations' freshness
policy and `prod-pipelines health` all read the deadline from here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from prod_pipelines.compat import cron_string_iterator
from prod_pipelines.delivery.consumers import Consumer

TIMEZONE = "UTC"


def deadline_period(cron: str) -> timedelta:
    """The time between two deadlines: a delivery must have happened within one period before each."""
    ticks = cron_string_iterator(0, cron, TIMEZONE)
    first = next(ticks)
    return next(ticks) - first


def last_deadline(cron: str, at: datetime) -> datetime:
    """The newest deadline tick at or before `at`."""
    return next(cron_string_iterator(at.timestamp(), cron, TIMEZONE, ascending=False))


def due_day(consumer: Consumer, at: datetime) -> date:
    """The newest day the consumer must hold at `at`: its newest sent day ended before the last deadline."""
    day = last_deadline(consumer.deadline_cron, at).date() - timedelta(days=1)
    while not consumer.sends_for(day.weekday()):
        day -= timedelta(days=1)
    return day


def due_at(consumer: Consumer, day: date) -> datetime:
    """The deadline by which the consumer must hold `day`: the first tick after the day has ended."""
    day_end = datetime.combine(day + timedelta(days=1), time(), UTC)
    return next(cron_string_iterator(day_end.timestamp(), consumer.deadline_cron, TIMEZONE))
