"""The partition window reaches dbt as a half-open date range."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg

from prod_pipelines.dbt.commands import dbt_cli_args
from prod_pipelines.partitions import dbt_vars


def _window(start: str, end: str) -> dg.TimeWindow:
    return dg.TimeWindow(datetime.fromisoformat(start).replace(tzinfo=UTC),
                         datetime.fromisoformat(end).replace(tzinfo=UTC))


def test_one_partition_becomes_a_one_day_half_open_window():
    assert dbt_vars(_window("2025-03-10", "2025-03-11")) == {"min_date": "2025-03-10", "max_date": "2025-03-11"}


def test_a_range_keeps_its_end_exclusive_so_adjacent_ranges_never_overlap():
    first = dbt_vars(_window("2025-01-01", "2025-01-31"))
    second = dbt_vars(_window("2025-01-31", "2025-03-01"))
    assert first["max_date"] == second["min_date"] == "2025-01-31"


def test_dbt_build_receives_the_window_and_the_warehouse_as_vars():
    args = dbt_cli_args(_window("2025-02-01", "2025-02-08"), "/data/warehouse.duckdb")
    assert args[0] == "build"
    dbt_vars_json = args[args.index("--vars") + 1]
    assert '"min_date": "2025-02-01"' in dbt_vars_json and '"max_date": "2025-02-08"' in dbt_vars_json
    assert '"warehouse_path": "/data/warehouse.duckdb"' in dbt_vars_json
