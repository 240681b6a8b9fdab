"""Daily partitions, defined once, and the one function that turns a partition window into dbt vars."""

from __future__ import annotations

from datetime import date

import dagster as dg


def daily_partitions(start_date: date) -> dg.DailyPartitionsDefinition:
    """One partition per as-of day D; the newest partition is yesterday (UTC)."""
    return dg.DailyPartitionsDefinition(start_date=start_date.isoformat(), timezone="UTC")


def dbt_vars(window: dg.TimeWindow) -> dict[str, str]:
    """The half-open date window [min_date, max_date) that incremental models replace."""
    return {"min_date": window.start.date().isoformat(), "max_date": window.end.date().isoformat()}
