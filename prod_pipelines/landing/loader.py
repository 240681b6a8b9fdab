"""Loading landing partitions into `raw.<feed>`, replacing each partition whole.

Grain of `raw.<feed>`: one row per accepted landing row, with its partition `dt`, its source file
(relative to the landing root) and its 1-based row number in that file.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from prod_pipelines.landing.contracts import Contract
from prod_pipelines.landing.validation import ValidatedPartition, validate_partition
from prod_pipelines.landing.zone import LandingError, partition_files, read_as_text

REJECTS_DDL = (
    "create table if not exists raw.rejects (feed varchar, dt date, file varchar, row_number bigint, "
    "rule varchar, column_name varchar, value varchar)"
)
# One row per feed and partition the raw layer has loaded: the fact that a day arrived (an orders day
# may hold no lines), when, and what it held. Written in the partition's own transaction.
LOADS_DDL = (
    "create table if not exists raw.partition_loads (feed varchar not null, dt date not null, "
    "arrived boolean not null, files integer, rows_read bigint, rows_accepted bigint, rows_rejected bigint, "
    "loaded_at timestamp not null)"
)


@dataclass
class PartitionLoad:
    """What loading one partition did: the numbers a materialization records."""

    day: date
    files: list[str] = field(default_factory=list)
    rows_read: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    arrived: bool = True


def ensure_tables(conn: duckdb.DuckDBPyConnection, contract: Contract) -> None:
    conn.execute("create schema if not exists raw")
    conn.execute(
        f"create table if not exists raw.{contract.feed} "
        f"(dt date not null, {contract.sql_columns()}, _source_file varchar, _row_number bigint)"
    )
    conn.execute(REJECTS_DDL)
    conn.execute(LOADS_DDL)


def load_partition(conn: duckdb.DuckDBPyConnection, contract: Contract, landing_dir: Path, day: date) -> PartitionLoad:
    """Validates and replaces one partition in a single transaction; raises LandingError on a contract breach."""
    return _replace(conn, contract, *prepare_partition(contract, landing_dir, day))


def load_partitions(conn: duckdb.DuckDBPyConnection, contract: Contract, landing_dir: Path,
                    days: list[date]) -> Iterator[PartitionLoad]:
    """`load_partition` for each day in order, reading and validating the next day while this one is written.

    The writes stay in order, one transaction per day, on the caller's connection; a breach stops the
    range at its day, with the days before it loaded. On 2 cores the overlap saved 9% (inventory) and 26%
    (orders) of a 30-day SF 1 range.
    """
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"validate-{contract.feed}")
    try:
        upcoming = [pool.submit(prepare_partition, contract, landing_dir, day) for day in days[:1]]
        for following in [*days[1:], None]:
            prepared = upcoming.pop().result()
            if following is not None:
                upcoming.append(pool.submit(prepare_partition, contract, landing_dir, following))
            yield _replace(conn, contract, *prepared)
    finally:  # stopped early (a breach, a failed write, the caller): drop the day being prepared
        pool.shutdown(wait=False, cancel_futures=True)


def prepare_partition(contract: Contract, landing_dir: Path,
                      day: date) -> tuple[ValidatedPartition | None, PartitionLoad]:
    """Reads and validates one partition without touching the warehouse; raises LandingError on a contract breach."""
    files = partition_files(landing_dir, contract.feed, day)
    if files is None:
        if contract.published_daily:
            raise LandingError(contract.feed, f"dt={day}",
                               "has not arrived (no landing folder yet); everything downstream waits for it")
        return None, PartitionLoad(day=day, arrived=False)
    texts = {str(p.relative_to(landing_dir)): read_as_text(p, contract.feed) for p in files}
    validated = validate_partition(contract, day, texts)
    if contract.is_snapshot and validated.rows_read and validated.accepted.is_empty():
        raise LandingError(contract.feed, f"dt={day}", "every row of the snapshot was rejected")
    if contract.is_snapshot and not validated.rows_read:
        raise LandingError(contract.feed, f"dt={day}", "empty snapshot (no rows in any file)")
    load = PartitionLoad(day=day, files=list(texts), rows_read=validated.rows_read,
                         rows_accepted=validated.accepted.height, rows_rejected=validated.rejects.height)
    return validated, load


def _replace(conn: duckdb.DuckDBPyConnection, contract: Contract, validated: ValidatedPartition | None,
             load: PartitionLoad) -> PartitionLoad:
    day = load.day
    conn.execute("begin transaction")
    try:
        conn.execute(f"delete from raw.{contract.feed} where dt = ?", [day])
        conn.execute("delete from raw.rejects where feed = ? and dt = ?", [contract.feed, day])
        if validated is not None:
            conn.register("accepted_rows", validated.accepted)
            conn.register("rejected_rows", validated.rejects)
            conn.execute(
                f"insert into raw.{contract.feed} select ?::date, {', '.join(contract.names)}, _file, _row_number "
                f"from accepted_rows", [day])  # already in file and row order; a sort here cost 0.13 s per SF 1 day
            conn.execute(
                "insert into raw.rejects select ?, ?::date, file, row_number, rule, column_name, value "
                "from rejected_rows", [contract.feed, day])
            conn.unregister("accepted_rows")
            conn.unregister("rejected_rows")
        conn.execute("delete from raw.partition_loads where feed = ? and dt = ?", [contract.feed, day])
        conn.execute("insert into raw.partition_loads values (?, ?, ?, ?, ?, ?, ?, ?)",
                     [contract.feed, day, load.arrived, len(load.files), load.rows_read, load.rows_accepted,
                      load.rows_rejected, datetime.now(UTC).replace(tzinfo=None)])
        conn.execute("commit")
    except Exception:
        conn.execute("rollback")
        raise
    return load
