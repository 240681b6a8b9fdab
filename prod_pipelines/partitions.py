"""Daily partitions, defined once, and the one function that turns a partition window into dbt vars."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import dagster as dg

from prod_pipelines.compat import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG


def daily_partitions(start_date: date) -> dg.DailyPartitionsDefinition:
    """One partition per as-of day D; the newest partition is yesterday (UTC)."""
    return dg.DailyPartitionsDefinition(start_date=start_date.isoformat(), timezone="UTC")


def window_of(first: date, last: date) -> dg.TimeWindow:
    """The time window of a run over the daily partitions [first, last], as Dagster gives it to a step."""
    return dg.TimeWindow(datetime.combine(first, time(), UTC),
                         datetime.combine(last + timedelta(days=1), time(), UTC))


def dbt_vars(window: dg.TimeWindow) -> dict[str, str]:
    """The half-open date window [min_date, max_date) that incremental models replace."""
    return {"min_date": window.start.date().isoformat(), "max_date": window.end.date().isoformat()}


def days_of(window: dg.TimeWindow) -> list[date]:
    """The as-of days of a run's window, first to last."""
    first = window.start.date()
    return [first + timedelta(days=i) for i in range((window.end.date() - first).days)]


def range_tags(first: date, last: date) -> dict[str, str]:
    """The run tags that make one run cover the daily partitions [first, last] (a single-run backfill)."""
    return {ASSET_PARTITION_RANGE_START_TAG: first.isoformat(), ASSET_PARTITION_RANGE_END_TAG: last.isoformat()}
