"""The daily trigger: a day runs when its daily feeds have arrived, not at an hour chosen in hope.

Each tick looks for the days after the newest judged day (`completeness/day_verdicts`) whose orders
and inventory folders are both in the landing zone and have been quiet for `settle_seconds` (a
producer may still be writing). It asks for ONE run of the whole graph over the consecutive run of
such days: a day whose feeds are missing stops the range, because every later day's 90-day window
reads it. It is the `daily` run class: it starts ahead of late-data runs and backfills (run_classes.py).
Nothing is requested while one of its runs is still queued or running. A late feed shows
in its freshness check; the run starts on its own once it lands.
"""

import time
from datetime import date, timedelta
from pathlib import Path

import dagster as dg

from prod_pipelines.automation.run_classes import DAILY
from prod_pipelines.landing.contracts import CONTRACTS
from prod_pipelines.landing.zone import published_partitions
from prod_pipelines.partitions import range_tags

SENSOR_NAME = "arrival_sensor"
SETTLE_SECONDS = 60
UNFINISHED = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
              dg.DagsterRunStatus.STARTED]


def arrived_days(landing_dir: Path, first: date, quiet_since: float) -> list[date]:
    """The consecutive days from `first` on whose daily feeds have all arrived and are quiet."""
    published = [published_partitions(landing_dir, feed) for feed, c in CONTRACTS.items() if c.published_daily]
    days, day = [], first
    while all(day in feed and feed[day] <= quiet_since for feed in published):
        days.append(day)
        day += timedelta(days=1)
    return days


def arrival_sensor(landing_dir: Path, job_name: str, start_date: date, verdicts: dg.AssetKey, running: bool,
                   settle_seconds: int = SETTLE_SECONDS) -> dg.SensorDefinition:
    @dg.sensor(name=SENSOR_NAME, job_name=job_name, minimum_interval_seconds=60,
               default_status=dg.DefaultSensorStatus.RUNNING if running else dg.DefaultSensorStatus.STOPPED,
               description="Runs the whole graph for each day as soon as its orders and inventory have arrived.")
    def sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
        busy = context.instance.get_runs(dg.RunsFilter(job_name=job_name, statuses=UNFINISHED,
                                                       tags={"dagster/sensor_name": SENSOR_NAME}), limit=1)
        if busy:
            return dg.SkipReason(f"run {busy[0].run_id} for arrived days is not finished yet")
        judged = context.instance.get_materialized_partitions(verdicts)
        first = max((date.fromisoformat(k) for k in judged), default=start_date - timedelta(days=1)) + timedelta(days=1)
        days = arrived_days(landing_dir, first, time.time() - settle_seconds)
        if not days:
            return dg.SkipReason(f"waiting for the orders and inventory of {first}")
        return dg.SensorResult(run_requests=[dg.RunRequest(
            run_key=f"arrival-{days[0]}-{days[-1]}", tags={**range_tags(days[0], days[-1]), **DAILY.tags()})])

    return sensor
