"""The dbt project runs on Apache Spark: built by dbt-spark from the same raw rows, it gives DuckDB's results.

The hand-worked fixture runs through the pipeline on DuckDB (the session's `handmade_warehouse`). Its
raw tables are written as the Parquet lake (`<lake>/<feed>/dt=<day>/data.parquet`) and registered as
this module's own Spark tables (warehouses/spark.py:register_lake) on a local Thrift server
(warehouses/spark_server.py), where `dbt build --target spark` runs with the Dagster run's arguments
over the same window, then again for the last day alone (the window-replacing incremental strategy).

Needs Java 17 and the `spark` extra: without them these tests skip, except on CI (CI=true), where they fail.
"""

from __future__ import annotations

import json
import shutil
import uuid
from datetime import date

import pytest

from prod_pipelines.dbt.commands import dbt_cli_args
from prod_pipelines.landing.contracts import FEEDS
from prod_pipelines.ops.canary import compared_tables
from prod_pipelines.partitions import window_of
from prod_pipelines.warehouses.spark import register_lake, spark_columns
from prod_pipelines_tests.support.handmade import AS_OF_DATES, FIRST_DAY
from prod_pipelines_tests.support.spark import comparable, dbt_on_spark, write_lake

LAST_DAY = max(AS_OF_DATES)


def _sorted(rows: list[tuple]) -> list[tuple]:
    """Comparable values, in one order whatever the engine."""
    return sorted((tuple(comparable(value) for value in row) for row in rows),
                  key=lambda row: ["" if value is None else value for value in row])


def _errors(log: str) -> str:
    """dbt's output without the Java stack traces, which hide the message."""
    lines = [line for line in log.splitlines() if not line.strip().startswith(("at ", "... "))]
    return "\n".join(lines[-80:])


@pytest.fixture(scope="module")
def spark_build(handmade_warehouse, spark_server, tmp_path_factory) -> dict:
    """The fixture's window built on Spark, then its last day rebuilt; the first build's dbt results."""
    prefix = f"test_{uuid.uuid4().hex[:12]}_"
    lake = spark_server.data_dir / "lake"
    write_lake(handmade_warehouse, lake)
    with spark_server.cursor() as cursor:
        registered = register_lake(cursor, lake, f"{prefix}raw")
        assert register_lake(cursor, lake, f"{prefix}raw") == registered  # idempotent
    results = []
    for first in (FIRST_DAY, LAST_DAY):
        target = tmp_path_factory.mktemp("dbt_spark")
        args = dbt_cli_args(window_of(first, LAST_DAY), warehouse_path="", schema_prefix=prefix,
                            raw_schema=f"{prefix}raw")
        built = dbt_on_spark(args, spark_server, target)
        assert built.returncode == 0, (f"dbt build from {first} failed on Spark:\n{_errors(built.stdout)}\n"
                                       f"{built.stderr[-2000:]}\nserver log: {spark_server.data_dir}")
        results.append(json.loads((target / "run_results.json").read_text())["results"])
    return {"prefix": prefix, "results": results[0], "registered": registered}


def test_the_lake_files_hold_raw_columns_in_order_and_spark_reads_every_row(spark_build, spark_server,
                                                                             handmade_warehouse):
    with spark_server.cursor() as cursor:
        for feed in FEEDS:
            raw_columns = [name for (name,) in handmade_warehouse.execute(
                "select column_name from information_schema.columns where table_schema = 'raw' and table_name = ?"
                " order by ordinal_position", [feed]).fetchall()]
            assert [name for name, _ in spark_columns(feed)] == [c for c in raw_columns if c != "dt"]
            listed = ", ".join(raw_columns)
            cursor.execute(f"select {listed} from {spark_build['prefix']}raw.{feed}")
            on_duckdb = handmade_warehouse.execute(f"select {listed} from raw.{feed}").fetchall()
            assert _sorted(cursor.fetchall()) == _sorted(on_duckdb)


@pytest.mark.parametrize("table", sorted(compared_tables()))
def test_spark_gives_duckdbs_central_result_and_exports_row_for_row(table, spark_build, spark_server,
                                                                    handmade_warehouse):
    columns = [name for (name,) in handmade_warehouse.execute(
        "select column_name from information_schema.columns where table_schema || '.' || table_name = ?"
        " order by ordinal_position", [table]).fetchall()]
    listed = ", ".join(columns)
    duckdb_rows = handmade_warehouse.execute(f"select {listed} from {table}").fetchall()
    with spark_server.cursor() as cursor:
        cursor.execute(f"select {listed} from {spark_build['prefix']}{table}")
        spark_rows = cursor.fetchall()
        if table.startswith("exports."):  # an export's columns keep their declared order on Spark too
            cursor.execute(f"select * from {spark_build['prefix']}{table} limit 0")
            assert [d[0] for d in cursor.description] == columns
    assert {date.fromisoformat(str(row[columns.index("as_of_date")])) for row in duckdb_rows} >= set(AS_OF_DATES)
    assert _sorted(spark_rows) == _sorted(duckdb_rows)


def test_every_data_test_finds_as_many_failing_rows_on_spark_as_on_duckdb(spark_build, handmade_warehouse):
    """Over the same window; DuckDB's counts come from the failing-row views its run left (store_failures)."""
    on_spark = {r["relation_name"].split(".")[-1].strip("`"): r["failures"]
                for r in spark_build["results"] if r["unique_id"].startswith("test.")}
    on_duckdb = {view: handmade_warehouse.execute(f'select count(*) from test_failures."{view}"').fetchone()[0]
                 for view in on_spark}
    assert any(on_duckdb.values()), "the fixture should make some warn-level tests find rows"
    assert on_spark == on_duckdb


def test_register_lake_follows_the_days_of_the_lake(spark_server, handmade_warehouse, tmp_path):
    """A new day appears, a removed day folder disappears, a rewritten day shows its new rows."""
    schema = f"test_{uuid.uuid4().hex[:12]}_lake"
    lake = tmp_path / "lake"
    first_days = handmade_warehouse.execute("select distinct dt from raw.stores order by dt limit 3").fetchall()
    days = [day for (day,) in first_days]

    def write(day: date, limit: int) -> None:
        folder = lake / "stores" / f"dt={day}"
        folder.mkdir(parents=True, exist_ok=True)
        handmade_warehouse.execute(f"copy (select * exclude (dt) from raw.stores where dt = '{day}' limit {limit}) "
                                   f"to '{folder / 'data.parquet'}' (format parquet)")

    def rows_per_day(cursor) -> dict[str, int]:
        cursor.execute(f"select cast(dt as string), count(*) from {schema}.stores group by dt")
        return dict(cursor.fetchall())

    with spark_server.cursor() as cursor:
        write(days[0], 3)
        write(days[1], 3)
        assert register_lake(cursor, lake, schema, feeds=("stores",)) == {"stores": 2}
        assert rows_per_day(cursor) == {str(days[0]): 3, str(days[1]): 3}
        shutil.rmtree(lake / "stores" / f"dt={days[0]}")
        write(days[1], 2)
        write(days[2], 1)
        register_lake(cursor, lake, schema, feeds=("stores",))
        assert rows_per_day(cursor) == {str(days[1]): 2, str(days[2]): 1}
        cursor.execute(f"drop database {schema} cascade")


def test_a_rerun_removes_the_windows_rows_it_no_longer_produces(spark_build, spark_server, handmade_warehouse,
                                                                tmp_path):
    """replace_window on both of its Spark paths: a partitioned mart and an unpartitioned export get a
    stray row on the last day; rebuilding that day leaves DuckDB's rows and nothing else."""
    prefix = spark_build["prefix"]
    strays = {"marts.order_lines_unmatched": {"as_of_date": f"date '{LAST_DAY}'", "unknown_store_lines": "-1",
                                              "unknown_item_lines": "-1"},
              "exports.exp_crm__weekly_email": {"as_of_date": f"date '{LAST_DAY}'", "store_id": "'STRAY'",
                                                "store_name": "'x'", "sku_id": "'STRAY'", "sku_name": "'x'",
                                                "position": "99"}}
    with spark_server.cursor() as cursor:
        for table, values in strays.items():
            cursor.execute(f"select * from {prefix}{table} limit 0")
            in_table_order = ", ".join(values[d[0]] for d in cursor.description)
            cursor.execute(f"insert into {prefix}{table} select {in_table_order}")
    args = dbt_cli_args(window_of(LAST_DAY, LAST_DAY), warehouse_path="", command="run", schema_prefix=prefix,
                        raw_schema=f"{prefix}raw")
    built = dbt_on_spark([*args, "--select", "order_lines_unmatched exp_crm__weekly_email"], spark_server, tmp_path)
    assert built.returncode == 0, _errors(built.stdout)
    with spark_server.cursor() as cursor:
        for table, values in strays.items():
            listed = ", ".join(values)
            cursor.execute(f"select {listed} from {prefix}{table}")
            assert _sorted(cursor.fetchall()) == _sorted(
                handmade_warehouse.execute(f"select {listed} from {table}").fetchall())
