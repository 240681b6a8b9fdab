"""The sync ledger in the warehouse: one row per delivery actually sent to a consumer.

It is what makes delivery idempotent and history-safe: a partition older than the last one sent is
never sent, and the same partition with the same content is not sent twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

import duckdb

LEDGER_DDL = """
create schema if not exists delivery;
create table if not exists delivery.ledger (
    sync_id varchar primary key,
    consumer varchar not null,
    partition_date date not null,
    rows bigint not null,
    content_hash varchar not null,
    location varchar not null,
    run_id varchar,
    delivered_at timestamptz not null
);
"""


@dataclass(frozen=True)
class LastSync:
    partition_date: date
    content_hash: str


def ensure_ledger(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute(LEDGER_DDL)


def last_sync(conn: duckdb.DuckDBPyConnection, consumer: str) -> LastSync | None:
    row = conn.execute(
        "select partition_date, content_hash from delivery.ledger where consumer = ? "
        "order by delivered_at desc, sync_id desc limit 1", [consumer]).fetchone()
    return LastSync(*row) if row else None


def record_sync(conn, *, consumer: str, partition: date, rows: int, content_hash: str, location: str, run_id: str) -> str:
    sync_id = f"{consumer}-{partition.isoformat()}-{run_id[:8]}-{content_hash[:8]}"
    conn.execute(
        "insert into delivery.ledger values (?, ?, ?, ?, ?, ?, ?, ?)",
        [sync_id, consumer, partition, rows, content_hash, location, run_id, datetime.now(timezone.utc)])
    return sync_id
