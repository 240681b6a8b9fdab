"""The Parquet lake as Spark tables: one external table per feed, `<schema>.<feed>`, partitioned by `dt`.

The lake (landing/lake.py writes it) holds `<lake>/<feed>/dt=YYYY-MM-DD/*.parquet`: the columns of
DuckDB's `raw.<feed>` in their order, but `dt`, which the folder names. Spark reads DuckDB's Parquet
types as they are: varchar -> string, bigint, decimal(18, 4) (an INT64 decimal), boolean, date, and
timestamptz (an INT64 micros timestamp adjusted to UTC) -> timestamp, read in the server's UTC session.

`register_lake` runs over any DB-API cursor on the Thrift server (PyHive's, dbt-spark's) and may run
after every load: it creates what is missing, adds the days that landed, drops the days whose folder
is gone (a re-run that emptied a day) and refreshes Spark's file listing of the days rewritten.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from prod_pipelines.landing.contracts import CONTRACTS, FEEDS, SQL_TYPES
from prod_pipelines.warehouse import Warehouse

# DuckDB's column type (contracts.SQL_TYPES) -> the Spark type that reads its Parquet column.
SPARK_TYPES = {
    "varchar": "string",
    "bigint": "bigint",
    "decimal(18, 4)": "decimal(18,4)",
    "boolean": "boolean",
    "timestamptz": "timestamp",
    "date": "date",
}
# raw.<feed> ends with the row's lineage (landing/loader.py: ensure_tables), after the contract's columns.
LINEAGE_COLUMNS = (("_source_file", "string"), ("_row_number", "bigint"))
PARTITION = re.compile(r"^dt=(\d{4}-\d{2}-\d{2})$")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def spark_columns(feed: str) -> list[tuple[str, str]]:
    """(name, Spark type) of a lake file of `feed`, in the order of raw.<feed> without dt."""
    contract = CONTRACTS[feed]
    return [(c.name, SPARK_TYPES[SQL_TYPES[c.kind]]) for c in contract.columns] + list(LINEAGE_COLUMNS)


def table_ddl(feed: str, lake_dir: Path, schema: str = "raw") -> str:
    columns = ", ".join(f"`{name}` {kind}" for name, kind in spark_columns(feed))
    return (f"create table if not exists {_checked(schema)}.{_checked(feed)} ({columns}, dt date) "
            f"using parquet partitioned by (dt) location '{_location(Path(lake_dir) / feed)}'")


def lake_days(lake_dir: Path, feed: str) -> list[str]:
    """The days (YYYY-MM-DD) whose folder of `feed` holds a Parquet file."""
    root = Path(lake_dir) / feed
    if not root.is_dir():
        return []
    return sorted(match.group(1) for path in root.iterdir()
                  if (match := PARTITION.match(path.name)) and path.is_dir() and any(path.glob("*.parquet")))


def register_lake(cursor: Any, lake_dir: Path, schema: str = "raw", feeds: tuple[str, ...] = FEEDS) -> dict[str, int]:
    """Makes `<schema>.<feed>` show exactly the days of the lake: creates the schema and tables when
    missing, drops the partitions whose folder is gone, adds the new ones, refreshes the listing.
    Idempotent. Returns the days registered per feed."""
    lake_dir = Path(lake_dir).resolve()
    cursor.execute(f"create database if not exists {_checked(schema)}")
    registered = {}
    for feed in feeds:
        (lake_dir / feed).mkdir(parents=True, exist_ok=True)
        table = f"{_checked(schema)}.{_checked(feed)}"
        cursor.execute(table_ddl(feed, lake_dir, schema))
        on_disk = set(lake_days(lake_dir, feed))
        cursor.execute(f"show partitions {table}")
        known = {row[0].split("=", 1)[1] for row in cursor.fetchall()}
        gone = sorted(known - on_disk)
        if gone:
            specs = ", ".join(f"partition (dt = date '{day}')" for day in gone)
            cursor.execute(f"alter table {table} drop if exists {specs}")
        new = sorted(on_disk - known)
        if new:
            specs = " ".join(f"partition (dt = date '{day}') location '{_location(lake_dir / feed / f'dt={day}')}'"
                             for day in new)
            cursor.execute(f"alter table {table} add if not exists {specs}")
        cursor.execute(f"refresh table {table}")
        registered[feed] = len(on_disk)
    return registered


def _checked(name: str) -> str:
    if not _IDENTIFIER.match(name):
        raise ValueError(f"{name!r} is not a plain SQL identifier")
    return name


def _location(path: Path) -> str:
    text = str(path)
    if "'" in text or "\\" in text:
        raise ValueError(f"{text!r}: a lake path may not hold quotes or backslashes")
    return text


def refresh_lake_tables(warehouse: Warehouse, feeds: tuple[str, ...]) -> None:
    """After a load: the feeds' Spark tables show exactly the days their lake folders hold now."""
    with spark_cursor(warehouse.spark_host, warehouse.spark_port) as cursor:
        register_lake(cursor, Path(warehouse.lake_dir), feeds=feeds)


@contextmanager
def spark_cursor(host: str, port: int) -> Iterator[Any]:
    """A cursor on the Spark Thrift server at host:port, closed after use; a clear error when it is down."""
    from pyhive import hive  # the `spark` extra: only the Spark engine needs it

    try:
        conn = hive.connect(host=host, port=port, username="prod-pipelines")
    except Exception as error:  # thrift raises TTransportException, a socket error or a SASL error
        raise ConnectionError(f"the Spark Thrift server at {host}:{port} is not reachable ({error}); start a "
                              "local one with `prod-pipelines spark-server start`, or set PROD_PIPELINES_SPARK_HOST "
                              "and PROD_PIPELINES_SPARK_PORT to yours") from error
    try:
        yield conn.cursor()
    finally:
        # The work is done by now: the local server can fail to close a session (a Hive class missing
        # from the pyspark wheel, seen at random), and that must not fail what was read.
        with contextlib.suppress(Exception):
            conn.close()
