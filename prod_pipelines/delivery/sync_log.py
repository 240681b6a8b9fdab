"""The sync log in the warehouse: what each sync did to each record, queryable beside the data.

- `delivery.sync_changelog`, grain: one row per sync, record (external id) and operation. Operation is
  create | update | delete against what was last sent; result is accepted | rejected, with the
  consumer's reason. Rows older than the retention (days, per environment) are pruned at each sync.
- `delivery.sync_snapshot`, grain: one row per consumer and record: its latest operation and result.
  A record whose latest result is `rejected` is retried by every later sync until it is accepted.

The counts per sync stay in the ledger (`delivery.syncs`); this log answers "what did this store get,
and when" (`prod-pipelines syncs CONSUMER --key K`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import duckdb
import pyarrow as pa

from prod_pipelines.delivery.changes import Changes

DEFAULT_RETENTION_DAYS = 400
SYNC_LOG_DDL = """
create schema if not exists delivery;
create table if not exists delivery.sync_changelog (
    sync_id varchar not null,
    consumer varchar not null,
    partition_date date not null,
    record_key varchar not null,     -- the external id: the consumer's key columns joined by ':'
    operation varchar not null,      -- create | update | delete
    result varchar not null,         -- accepted | rejected
    error varchar,
    synced_at timestamptz not null,
    primary key (sync_id, record_key)
);
create table if not exists delivery.sync_snapshot (
    consumer varchar not null,
    record_key varchar not null,
    operation varchar not null,
    result varchar not null,
    error varchar,
    sync_id varchar not null,
    partition_date date not null,
    synced_at timestamptz not null,
    primary key (consumer, record_key)
);
"""
LOG_COLUMNS = ("synced_at", "sync_id", "partition_date", "record_key", "operation", "result", "error")


def ensure_tables(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute(SYNC_LOG_DDL)


def operations(changes: Changes, retry: frozenset[str] = frozenset()) -> dict[str, str]:
    """External id -> create | update | delete: the sync's changes, plus the retried records (an
    update if the export still has them, a delete if not)."""
    found = changes.operations()
    return found | {e: ("update" if e in changes.kept else "delete") for e in retry if e not in found}


def record(conn: duckdb.DuckDBPyConnection, consumer: str, sync_id: str, partition: date,
           changed: dict[str, str], rejected: dict[str, str], retention_days: int) -> None:
    """Logs one sync's operations and their results, updates the snapshot, and prunes old log rows."""
    now = datetime.now(UTC)
    log = pa.table({
        "sync_id": [sync_id] * len(changed), "consumer": [consumer] * len(changed),
        "partition_date": pa.array([partition] * len(changed), pa.date32()),
        "record_key": list(changed), "operation": list(changed.values()),
        "result": ["rejected" if e in rejected else "accepted" for e in changed],
        "error": [rejected.get(e) for e in changed],
        "synced_at": pa.array([now] * len(changed), pa.timestamp("us", tz="UTC")),
    })
    conn.register("sync_log_rows", log)
    try:
        conn.execute("insert into delivery.sync_changelog by name select * from sync_log_rows")
        conn.execute("insert or replace into delivery.sync_snapshot by name select consumer, record_key, operation, "
                     "result, error, sync_id, partition_date, synced_at from sync_log_rows")
    finally:
        conn.unregister("sync_log_rows")
    conn.execute("delete from delivery.sync_changelog where consumer = ? and synced_at < ?",
                 [consumer, now - timedelta(days=retention_days)])


def pending_retries(conn: duckdb.DuckDBPyConnection, consumer: str) -> frozenset[str]:
    """The records the consumer refused at their latest attempt: every sync sends them again."""
    rows = conn.execute("select record_key from delivery.sync_snapshot where consumer = ? and result = 'rejected'",
                        [consumer]).fetchall()
    return frozenset(r[0] for r in rows)


def key_history(conn: duckdb.DuckDBPyConnection, consumer: str, key: str) -> list[dict]:
    """Every logged operation on the record `key`, or on every record whose key starts with `key`'s
    components (`S001` finds `S001:K0001`, `S001:K0002`...), oldest first."""
    rows = conn.execute(f"select {', '.join(LOG_COLUMNS)} from delivery.sync_changelog where consumer = ? "
                        "and (record_key = ? or starts_with(record_key, ? || ':')) order by synced_at, record_key",
                        [consumer, key, key]).fetchall()
    return [dict(zip(LOG_COLUMNS, row, strict=True)) for row in rows]
