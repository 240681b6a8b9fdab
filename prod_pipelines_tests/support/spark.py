"""A real Spark Thrift Server for tests (prod_pipelines.warehouses.spark_server), and the lake it reads.

`spark_server` in conftest.py starts one per test module on a free port over a tmp data dir and
always stops it. It needs Java and the `spark` extra (pyspark, dbt-spark, PyHive): without them the
tests skip, except on CI (CI=true), where they fail.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from prod_pipelines.landing.contracts import FEEDS
from prod_pipelines.settings import DBT_EXECUTABLE, DBT_PROJECT_DIR, SPARK_HOST_VAR, SPARK_PORT_VAR
from prod_pipelines.warehouses import spark_server


@dataclass(frozen=True)
class SparkServer:
    host: str
    port: int
    data_dir: Path

    @property
    def env(self) -> dict[str, str]:
        """What dbt's `spark` output (profiles.yml) reads to find this server."""
        return {SPARK_HOST_VAR: self.host, SPARK_PORT_VAR: str(self.port)}

    @contextmanager
    def cursor(self) -> Iterator[Any]:
        from pyhive import hive

        with closing(hive.connect(host=self.host, port=self.port)) as conn, closing(conn.cursor()) as cursor:
            yield cursor


def require_spark() -> None:
    """Skips (fails on CI) unless Java, pyspark, dbt-spark and PyHive are installed."""
    missing = [] if shutil.which("java") else ["java"]
    for module in ("pyspark", "pyhive.hive", "dbt.adapters.spark"):
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    if missing:
        reason = f"Spark needs {', '.join(missing)} (Java 17 and `pip install -e '.[spark]'`)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_server(data_dir: Path) -> Iterator[SparkServer]:
    """A Thrift server over `data_dir` on a free port, stopped on the way out whatever happened."""
    require_spark()
    server = SparkServer("127.0.0.1", free_port(), data_dir)
    try:
        spark_server.start(data_dir, server.host, server.port)
        yield server
    finally:
        spark_server.stop(data_dir)


@contextmanager
def local_spark_server(data_dir: Path) -> Iterator[tuple[str, int]]:
    """`running_server` as (host, port), for tests that pass the port on to the CLI."""
    with running_server(data_dir) as server:
        yield server.host, server.port


def write_lake(warehouse: duckdb.DuckDBPyConnection, lake_dir: Path) -> None:
    """raw.<feed> of a DuckDB warehouse as the lake: `<lake>/<feed>/dt=YYYY-MM-DD/data.parquet`."""
    for feed in FEEDS:
        days = [day for (day,) in warehouse.execute(f"select distinct dt from raw.{feed} order by dt").fetchall()]
        for day in days:
            folder = lake_dir / feed / f"dt={day.isoformat()}"
            folder.mkdir(parents=True, exist_ok=True)
            warehouse.execute(f"copy (select * exclude (dt) from raw.{feed} where dt = '{day}') "
                              f"to '{folder / 'data.parquet'}' (format parquet)")


def dbt_on_spark(args: list[str], server: SparkServer, target: Path) -> subprocess.CompletedProcess:
    """`dbt <args> --target spark` on the project, against `server`, its artifacts in `target`."""
    command = [DBT_EXECUTABLE, *args, "--target", "spark",
               "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
               "--target-path", str(target), "--log-path", str(target / "logs")]
    env = {**os.environ, **server.env, "DO_NOT_TRACK": "1"}
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=DBT_PROJECT_DIR, timeout=1200)


def comparable(value: Any) -> str | None:
    """One text per value whatever the driver: PyHive returns dates as text, DuckDB as dates; a
    double is compared to 12 significant digits (the engines may sum in another order), a
    timestamp with a time zone as its UTC time."""
    if value is None:
        return None
    if isinstance(value, float):
        return f"{value:.12g}"
    if isinstance(value, datetime) and value.tzinfo is not None:  # DuckDB's timestamptz; Spark's is in UTC
        return str(value.astimezone(UTC).replace(tzinfo=None))
    if isinstance(value, date | Decimal):
        return str(value)
    return str(value)
