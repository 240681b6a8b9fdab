"""The 90-day backfill on Apache Spark beside the same backfill on DuckDB, at one scale factor.

The same `prod-pipelines backfill` with `PROD_PIPELINES_WAREHOUSE=spark`, against a local Spark
Thrift Server started from the pyspark wheel over a fresh data dir (docs/scaling.md). The server's
start is timed apart: a cluster's server is already up. Its JVM is not a child of the measured
command, so its peak memory is read from the kernel (`VmHWM`) after the run. The central result
Spark built is read from its Parquet tables and must equal the raw DuckDB floor's.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from prod_pipelines.bench import runs
from prod_pipelines.bench.checksum import MART, Checksum, require_equal
from prod_pipelines.bench.figures import Figure
from prod_pipelines.bench.floor import FLOOR_TABLE
from prod_pipelines.settings import SPARK_PORT_VAR, WAREHOUSE_VAR
from prod_pipelines.warehouses import spark_server


@dataclass
class SparkResult:
    scale: float
    start: date
    end: date
    spark: Figure = field(default_factory=Figure)
    server_start: list[float] = field(default_factory=list)
    server_peak_mb: float = 0.0
    checksum: Checksum | None = None


def measure_spark(root: Path, landing: Path, scale: float, start: date, end: date, repeat: int,
                  input_rows: int) -> SparkResult:
    """`repeat` Spark backfills of [start, end], each on a fresh data dir with its own server."""
    result = SparkResult(scale, start, end, Figure(input_rows=input_rows))
    # Its own floor to compare with: the scale's runs (and their floor) are gone once its figures are taken.
    floor = root / "runs" / "spark-floor" / "floor-90.duckdb"
    floor.parent.mkdir(parents=True, exist_ok=True)
    runs.floor(landing, start, end, floor, root / "logs" / "spark-floor")
    for i in range(repeat):
        data_dir = runs.fresh_data_dir(root / "runs" / "spark-90", landing)
        port = _free_port()
        started = time.perf_counter()
        pid = spark_server.start(data_dir, "127.0.0.1", port)
        result.server_start.append(time.perf_counter() - started)
        try:
            run = runs.dagster(data_dir, start, start, end, root / "logs" / f"spark-90-{i}",
                               engine={WAREHOUSE_VAR: "spark", SPARK_PORT_VAR: str(port)})
            result.server_peak_mb = max(result.server_peak_mb, _peak_rss_mb(pid))
        finally:
            spark_server.stop(data_dir)
        result.spark.runs.append(run)
        result.checksum = _same_as_floor(floor, data_dir, start, end)
        print(f"  SF {scale:g} spark_90 run {i + 1}/{repeat}: {run.seconds:.1f} s "
              f"(server start {result.server_start[-1]:.1f} s)", flush=True)
    return result


def _same_as_floor(floor: Path, data_dir: Path, start: date, end: date) -> Checksum:
    """Spark's central result (its Parquet files under spark-warehouse) against the floor's, row for row."""
    schema, table = MART.split(".")
    copy = data_dir / "spark-result.duckdb"
    files = spark_server.warehouse_dir(data_dir) / f"{schema}.db" / table / "**" / "*.parquet"
    with duckdb.connect(str(copy)) as conn:
        conn.execute(f"create schema {schema}")
        conn.execute(f"create table {MART} as select * from read_parquet('{files}', hive_partitioning = true)")
    return require_equal({"raw DuckDB floor": (floor, FLOOR_TABLE), "Dagster on Spark": (copy, MART)},
                         start, end)["Dagster on Spark"]


def _peak_rss_mb(pid: int) -> float:
    """The server JVM's peak resident memory so far (spark-submit execs the JVM in its own process)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return 0.0
    return next((int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmHWM:")), 0.0)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
