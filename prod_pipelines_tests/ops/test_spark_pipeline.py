"""The whole pipeline on Apache Spark gives what it gives on DuckDB, row for row (issue: Spark engine).

The hand-worked fixture runs through `prod-pipelines backfill` with `PROD_PIPELINES_WAREHOUSE=spark`
against a real local Spark Thrift Server (started from the pyspark wheel): ingest publishes the
validated days to the Parquet lake, dbt-spark builds the window, then a second backfill rebuilds its
last day. Compared with the same fixture on DuckDB (the session's `handmade_warehouse`): the central
result and the exports as Spark holds them, the served copy deliveries read, every data test's
per-day result and failing-row count, the day verdicts and what each consumer's file drop received.

Needs Java and the `spark` extra: without them this module skips, except on CI (CI=true), where it fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from prod_pipelines.dbt.project import served_models
from prod_pipelines.delivery.consumers import consumers
from prod_pipelines.landing.contracts import FEEDS
from prod_pipelines.ops.canary import compared_tables
from prod_pipelines.settings import SPARK_PORT_VAR, WAREHOUSE_VAR
from prod_pipelines.warehouses.built import spark_cursor
from prod_pipelines_tests.support.cli import run_cli
from prod_pipelines_tests.support.handmade import AS_OF_DATES, FIRST_DAY, write_handmade_landing
from prod_pipelines_tests.support.spark import local_spark_server

LAST_DAY = max(AS_OF_DATES)


@pytest.fixture(scope="module")
def on_spark(tmp_path_factory) -> Iterator[dict]:
    """The fixture's window through the pipeline on Spark, then its last day again; the server stays up."""
    data_dir = tmp_path_factory.mktemp("spark_pipeline")
    write_handmade_landing(data_dir)
    with local_spark_server(data_dir) as (host, port):
        env = {WAREHOUSE_VAR: "spark", SPARK_PORT_VAR: str(port)}
        for first in (FIRST_DAY, LAST_DAY):
            run_cli("backfill", "--start", first.isoformat(), "--end", LAST_DAY.isoformat(), data_dir=data_dir,
                    start_date=FIRST_DAY, env=env)
        with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as control:
            yield {"data_dir": data_dir, "host": host, "port": port, "control": control}


@pytest.fixture(scope="module")
def on_duckdb(handmade_warehouse) -> dict:
    path = handmade_warehouse.execute("select path from duckdb_databases() where database_name = current_database()"
                                      ).fetchone()[0]
    return {"data_dir": Path(path).parent, "warehouse": handmade_warehouse}


def _normal(value) -> str:
    """One spelling per value whatever the engine returned: dates as text, numbers by their value."""
    if isinstance(value, float):
        return f"{value:.10g}"
    if isinstance(value, Decimal):
        return f"{float(value):.10g}" if value != value.to_integral_value() else str(int(value))
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _rows(rows) -> list[tuple[str, ...]]:
    return sorted(tuple(_normal(v) for v in (row.values() if isinstance(row, dict) else row)) for row in rows)


def _columns(conn: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [name for (name,) in conn.execute(
        "select column_name from information_schema.columns where table_schema || '.' || table_name = ?"
        " order by ordinal_position", [table]).fetchall()]


@pytest.mark.parametrize("table", sorted(compared_tables()))
def test_spark_builds_duckdbs_central_result_and_exports_row_for_row(table, on_spark, on_duckdb):
    warehouse = on_duckdb["warehouse"]
    columns = _columns(warehouse, table)
    with spark_cursor(on_spark["host"], on_spark["port"]) as cursor:
        cursor.execute(f"select * from {table}")
        in_order = [d[0].rpartition(".")[2] for d in cursor.description]
        cursor.execute(f"select {', '.join(columns)} from {table}")
        spark_rows = cursor.fetchall()
    if table.startswith("exports."):  # a consumer's contract; a mart is partitioned by its day, which Spark puts last
        assert in_order == columns, "an export keeps its declared column order"
    duckdb_rows = warehouse.execute(f"select {', '.join(columns)} from {table}").fetchall()
    assert {str(row[columns.index("as_of_date")]) for row in duckdb_rows} >= {d.isoformat() for d in AS_OF_DATES}
    assert _rows(spark_rows) == _rows(duckdb_rows)


@pytest.mark.parametrize("table", sorted(served_models()))
def test_the_served_copy_deliveries_read_equals_duckdbs_model_with_its_types(table, on_spark, on_duckdb):
    warehouse, control = on_duckdb["warehouse"], on_spark["control"]
    described = "select column_name, data_type from information_schema.columns " \
                "where table_schema || '.' || table_name = ? order by ordinal_position"
    assert control.execute(described, [table]).fetchall() == warehouse.execute(described, [table]).fetchall()
    query = f"select * from {table}"
    assert _rows(control.execute(query).fetchall()) == _rows(warehouse.execute(query).fetchall())


def test_every_check_judges_every_day_as_on_duckdb_with_the_same_failing_rows(on_spark, on_duckdb):
    """Raw contract checks and every dbt data test, per day: passed or not, and how many rows failed."""
    query = ("select asset, check_name, dt, passed, severity, json_extract(metadata, '$.failing_rows') "
             "from audit.day_checks order by all")
    judged = on_duckdb["warehouse"].execute(query).fetchall()
    assert any(not row[3] for row in judged), "the fixture should make some warn-level tests find rows"
    assert on_spark["control"].execute(query).fetchall() == judged


def test_the_day_verdicts_and_the_rows_loaded_are_duckdbs(on_spark, on_duckdb):
    verdicts = "select as_of_date, complete, reasons from audit.day_verdicts order by 1"
    assert on_spark["control"].execute(verdicts).fetchall() == on_duckdb["warehouse"].execute(verdicts).fetchall()
    with spark_cursor(on_spark["host"], on_spark["port"]) as cursor:
        for feed in FEEDS:  # the last day was loaded twice: its lake folder was replaced, not added to
            cursor.execute(f"select cast(dt as string), count(*) from raw.{feed} group by 1")
            in_lake = {date.fromisoformat(day): count for day, count in cursor.fetchall()}
            loaded = dict(on_duckdb["warehouse"].execute(f"select dt, count(*) from raw.{feed} group by 1").fetchall())
            assert in_lake == loaded, feed


def test_each_consumer_receives_the_same_files_from_spark_as_from_duckdb(on_spark, on_duckdb):
    for consumer in consumers():
        spark_drop = on_spark["data_dir"] / "destinations" / consumer.name
        duckdb_drop = on_duckdb["data_dir"] / "destinations" / consumer.name
        partitions = sorted(p.name for p in duckdb_drop.iterdir())
        assert partitions, f"{consumer.name}: the DuckDB run delivered nothing to compare with"
        assert sorted(p.name for p in spark_drop.iterdir()) == partitions
        for partition in partitions:
            sent = [pq.read_table(d / partition / "part-0.parquet") for d in (spark_drop, duckdb_drop)]
            assert sent[0].schema == sent[1].schema, f"{consumer.name} {partition}: columns or types"
            assert _rows(sent[0].to_pylist()) == _rows(sent[1].to_pylist())
