"""`not_null_in_window`: one test per model for all its required columns, judged per day of the window."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from prod_pipelines.dbt.commands import dbt_cli_args, run_dbt
from prod_pipelines.partitions import window_of
from prod_pipelines.settings import DBT_PROJECT_DIR
from prod_pipelines_tests.support.handmade import AS_OF_DATES

TEST = "top_items_not_carried_required_columns_filled"


def test_an_empty_required_column_fails_only_its_day_and_names_the_column(handmade_warehouse, tmp_path: Path):
    source = handmade_warehouse.execute("select path from duckdb_databases() where database_name = current_database()")
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(source.fetchone()[0], warehouse)
    first, second = sorted(AS_OF_DATES)
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute("update marts.top_items_not_carried set market_rank = null "
                     "where as_of_date = ? and store_rank = 1", [second])
    args = dbt_cli_args(window_of(first, second), str(warehouse), command="test")
    failed = None
    try:
        run_dbt([*args, "--select", TEST], DBT_PROJECT_DIR, tmp_path / "target")
    except RuntimeError as error:  # dbt exits 1 when a test fails
        failed = str(error)
    assert failed is not None and TEST in failed
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        rows = conn.execute(f"select distinct as_of_date, null_columns from test_failures.{TEST}").fetchall()
    assert rows == [(second, "market_rank")]
