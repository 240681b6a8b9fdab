"""The daily schedule: yesterday's partition, the whole graph, one run, ordered by dependencies only."""

import dagster as dg
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

DAILY_AT = (6, 0)  # 06:00 UTC: three hours before the consumers' 09:00 deadline


def daily_schedule(pipeline_job: UnresolvedAssetJobDefinition, running: bool) -> dg.ScheduleDefinition:
    return dg.build_schedule_from_partitioned_job(
        pipeline_job, hour_of_day=DAILY_AT[0], minute_of_hour=DAILY_AT[1],
        default_status=dg.DefaultScheduleStatus.RUNNING if running else dg.DefaultScheduleStatus.STOPPED,
        description="Ingest -> dbt -> exports -> delivery for yesterday (UTC), every day at 06:00 UTC.",
    )
