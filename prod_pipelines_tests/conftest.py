"""Shared fixtures: the pipeline run once on the hand-made landing zone, the real PostgreSQL, a Spark server.

Helpers live in `support/`; tests import them from there, never from this file.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import psycopg
import pytest
from psycopg import sql

from prod_pipelines_tests.support.cli import run_cli
from prod_pipelines_tests.support.handmade import AS_OF_DATES, FIRST_DAY, write_handmade_landing
from prod_pipelines_tests.support.spark import SparkServer, running_server


@pytest.fixture(scope="session")
def run_pipeline() -> Iterator:
    """Runs ingest -> dbt -> exports -> delivery for [start, end] and opens the warehouse read-only."""
    connections: list[duckdb.DuckDBPyConnection] = []

    def run(data_dir: Path, start: date, end: date) -> duckdb.DuckDBPyConnection:
        run_cli("backfill", "--start", start.isoformat(), "--end", end.isoformat(), data_dir=data_dir, start_date=start)
        connections.append(duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True))
        return connections[-1]

    yield run
    for conn in connections:
        conn.close()


@pytest.fixture(scope="session")
def handmade_warehouse(run_pipeline, tmp_path_factory) -> duckdb.DuckDBPyConnection:
    """The hand-built landing zone (fixtures/handmade.py) through the whole pipeline, once per session."""
    data_dir = tmp_path_factory.mktemp("handmade")
    write_handmade_landing(data_dir)
    return run_pipeline(data_dir, FIRST_DAY, max(AS_OF_DATES))


@pytest.fixture(scope="session")
def postgres_dsn() -> str:
    """The real PostgreSQL of the machine (127.0.0.1:5432, database test, trust auth).

    Missing, the tests that need it skip on a laptop but FAIL on CI (CI=true): a green CI must
    mean they ran.
    """
    errors = []
    for user in ("postgres", "root"):
        candidate = f"postgresql://{user}@127.0.0.1:5432/test?connect_timeout=3"
        try:
            psycopg.connect(candidate).close()
            return candidate
        except psycopg.OperationalError as error:
            errors.append(f"{user}: {str(error).strip()}")
    reason = f"PostgreSQL at 127.0.0.1:5432/test is unreachable ({'; '.join(errors)})"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def postgres_schema(postgres_dsn: str) -> Iterator[str]:
    """A schema of its own per test module, dropped afterwards with any schema named `<it>_...`."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    yield name
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        found = conn.execute("select nspname from pg_namespace where nspname = %s or starts_with(nspname, %s)",
                             [name, f"{name}_"]).fetchall()
        for (schema,) in found:
            conn.execute(sql.SQL("drop schema {} cascade").format(sql.Identifier(schema)))


@pytest.fixture(scope="module")
def spark_server(tmp_path_factory) -> Iterator[SparkServer]:
    """A local Spark Thrift Server per test module (support/spark.py), over its own data dir, on a free
    port; always stopped. Skips without Java or the `spark` extra, except on CI (CI=true): fails."""
    with running_server(tmp_path_factory.mktemp("spark")) as server:
        yield server
