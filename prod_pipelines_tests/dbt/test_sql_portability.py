"""The dbt project is portable: built by dbt-postgres from the same raw rows, it gives DuckDB's results.

The hand-worked fixture runs through the pipeline on DuckDB (the session's `handmade_warehouse`). Its
raw tables are copied into this module's own schemas on the machine's PostgreSQL, where `dbt build
--target postgres` runs with the Dagster run's arguments over the same window, then again for the
last day alone (the window-replacing incremental strategy). See docs/scaling.md.

Needs PostgreSQL (conftest.postgres_dsn): without it these tests skip, except on CI (CI=true), where they fail.
"""

from __future__ import annotations

import json
import os
import subprocess
from datetime import date
from pathlib import Path

import duckdb
import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from prod_pipelines.dbt.commands import dbt_cli_args
from prod_pipelines.landing.contracts import FEEDS
from prod_pipelines.ops.canary import compared_tables
from prod_pipelines.partitions import window_of
from prod_pipelines.settings import DBT_EXECUTABLE, DBT_PROJECT_DIR
from prod_pipelines_tests.support.handmade import AS_OF_DATES, FIRST_DAY

LAST_DAY = max(AS_OF_DATES)


def _copy_raw_tables(warehouse: duckdb.DuckDBPyConnection, dsn: str, schema: str) -> None:
    """raw.<feed> of the DuckDB warehouse into <schema>.<feed>, with the same column types."""
    with psycopg.connect(dsn) as pg:
        pg.execute(sql.SQL("create schema {}").format(sql.Identifier(schema)))
        for feed in FEEDS:
            columns = warehouse.execute(
                "select column_name, data_type from information_schema.columns"
                " where table_schema = 'raw' and table_name = ? order by ordinal_position", [feed]).fetchall()
            table = sql.Identifier(schema, feed)
            pg.execute(sql.SQL("create table {} ({})").format(table, sql.SQL(", ").join(
                sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(kind)) for name, kind in columns)))
            with pg.cursor().copy(sql.SQL("copy {} from stdin").format(table)) as copy:
                for row in warehouse.execute(f"select * from raw.{feed}").fetchall():
                    copy.write_row(row)


def _dbt_on_postgres(first: date, dsn: str, prefix: str, target: Path) -> subprocess.CompletedProcess:
    """The Dagster run's `dbt build` over [first, LAST_DAY] with `--target postgres`, into schemas
    `<prefix><layer>`, reading `<prefix>raw`."""
    args = dbt_cli_args(window_of(first, LAST_DAY), warehouse_path="", schema_prefix=prefix, raw_schema=f"{prefix}raw")
    server = conninfo_to_dict(dsn)
    env = {**os.environ, "DO_NOT_TRACK": "1", "PROD_PIPELINES_PG_USER": server["user"],
           "PROD_PIPELINES_PG_DBNAME": server["dbname"]}
    command = [DBT_EXECUTABLE, *args, "--target", "postgres",
               "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
               "--target-path", str(target), "--log-path", str(target / "logs")]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=DBT_PROJECT_DIR, timeout=600)


def _sorted(rows: list[tuple]) -> list[tuple]:
    """In one order whatever the database's collation."""
    return sorted(rows, key=lambda row: [str(value) for value in row])


@pytest.fixture(scope="module")
def postgres_build(handmade_warehouse, postgres_dsn, postgres_schema, tmp_path_factory) -> dict:
    """The fixture's window built on PostgreSQL, then its last day rebuilt; the first build's dbt results."""
    prefix = f"{postgres_schema}_"
    _copy_raw_tables(handmade_warehouse, postgres_dsn, f"{prefix}raw")
    results = []
    for first in (FIRST_DAY, LAST_DAY):
        target = tmp_path_factory.mktemp("dbt_postgres")
        built = _dbt_on_postgres(first, postgres_dsn, prefix, target)
        assert built.returncode == 0, f"dbt build from {first} failed on PostgreSQL:\n{built.stdout[-4000:]}"
        results.append(json.loads((target / "run_results.json").read_text())["results"])
    return {"dsn": postgres_dsn, "prefix": prefix, "results": results[0]}


@pytest.mark.parametrize("table", sorted(compared_tables()))
def test_postgres_gives_duckdbs_central_result_and_exports_row_for_row(table, postgres_build, handmade_warehouse):
    columns = [name for (name,) in handmade_warehouse.execute(
        "select column_name from information_schema.columns where table_schema || '.' || table_name = ?"
        " order by ordinal_position", [table]).fetchall()]
    listed = ", ".join(columns)
    duckdb_rows = handmade_warehouse.execute(f"select {listed} from {table}").fetchall()
    with psycopg.connect(postgres_build["dsn"]) as pg:
        postgres_rows = pg.execute(f"select {listed} from {postgres_build['prefix']}{table}").fetchall()
    assert {row[columns.index("as_of_date")] for row in duckdb_rows} >= set(AS_OF_DATES)
    assert _sorted(postgres_rows) == _sorted(duckdb_rows)


def test_every_data_test_finds_as_many_failing_rows_on_postgres_as_on_duckdb(postgres_build, handmade_warehouse):
    """Over the same window; DuckDB's counts come from the failing-row views its run left (store_failures)."""
    on_postgres = {r["relation_name"].split(".")[-1].strip('"'): r["failures"]
                   for r in postgres_build["results"] if r["unique_id"].startswith("test.")}
    on_duckdb = {view: handmade_warehouse.execute(f'select count(*) from test_failures."{view}"').fetchone()[0]
                 for view in on_postgres}
    assert any(on_duckdb.values()), "the fixture should make some warn-level tests find rows"
    assert on_postgres == on_duckdb
