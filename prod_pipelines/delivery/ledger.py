"""The sync ledger: one row per sync attempt to a consumer, and a copy of what each sync sent.

The ledger (`delivery.syncs` in the warehouse) is what makes delivery idempotent and history-safe,
and the copies (`<data dir>/delivery/sent/<consumer>/<sync_id>.parquet`) are what diffs are taken
against and what a rollback restores, byte for byte.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

SYNCS_DDL = """
create schema if not exists delivery;
create table if not exists delivery.syncs (
    sync_id varchar primary key,
    consumer varchar not null,
    partition_date date not null,
    action varchar not null,       -- sync | rollback
    status varchar not null,       -- running | succeeded | failed | refused | rolled_back
    rows bigint,
    added bigint,
    changed bigint,
    removed bigint,
    content_hash varchar,
    location varchar,
    run_id varchar,
    started_at timestamptz not null,
    finished_at timestamptz,
    message varchar
);
alter table delivery.syncs add column if not exists rejected bigint;  -- records the destination refused; null = 0
"""
COLUMNS = ("sync_id", "consumer", "partition_date", "action", "status", "rows", "added", "changed", "removed",
           "content_hash", "location", "run_id", "started_at", "finished_at", "message")


@dataclass(frozen=True)
class Sync:
    sync_id: str
    consumer: str
    partition_date: date
    action: str
    status: str
    content_hash: str | None


class Ledger:
    def __init__(self, conn: duckdb.DuckDBPyConnection, sent_dir: Path):
        self.conn, self.sent_dir = conn, sent_dir
        conn.execute(SYNCS_DDL)

    def current(self, consumer: str) -> Sync | None:
        """The sync whose content the consumer holds now: the newest successful sync or rollback."""
        return self._one("status = 'succeeded' and consumer = ? order by finished_at desc, sync_id desc", [consumer])

    def get(self, consumer: str, sync_id: str) -> Sync | None:
        return self._one("consumer = ? and sync_id = ?", [consumer, sync_id])

    def previous_good(self, consumer: str, before: Sync) -> Sync | None:
        return self._one("status = 'succeeded' and consumer = ? and sync_id <> ? and finished_at < "
                         "(select finished_at from delivery.syncs where sync_id = ?) order by finished_at desc",
                         [consumer, before.sync_id, before.sync_id])

    def was_rolled_back(self, consumer: str, partition: date, content_hash: str) -> bool:
        return self._one("consumer = ? and status = 'rolled_back' and partition_date = ? and content_hash = ?",
                         [consumer, partition, content_hash]) is not None

    def start(self, consumer: str, partition: date, action: str, content_hash: str, run_id: str) -> str:
        sync_id = f"{consumer}-{partition.isoformat()}-{uuid.uuid4().hex[:12]}"
        self.conn.execute(
            "insert into delivery.syncs (sync_id, consumer, partition_date, action, status, content_hash, run_id, "
            "started_at) values (?, ?, ?, ?, 'running', ?, ?, ?)",
            [sync_id, consumer, partition, action, content_hash, run_id, _now()])
        return sync_id

    def finish(self, sync_id: str, status: str, message: str = "", receipt=None) -> None:
        counts = ([receipt.rows, receipt.added, receipt.changed, receipt.removed, receipt.location] if receipt
                  else [None] * 5)
        self.conn.execute(
            "update delivery.syncs set status = ?, rows = ?, added = ?, changed = ?, removed = ?, location = ?, "
            "finished_at = ?, message = ? where sync_id = ?", [status, *counts, _now(), message, sync_id])

    def mark_rolled_back(self, sync_id: str) -> None:
        self.conn.execute("update delivery.syncs set status = 'rolled_back' where sync_id = ?", [sync_id])

    def keep_sent(self, consumer: str, sync_id: str, rows: pa.Table) -> None:
        path = self.sent_dir / consumer / f"{sync_id}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(rows, path)

    def sent(self, sync: Sync) -> pa.Table:
        return pq.read_table(self.sent_dir / sync.consumer / f"{sync.sync_id}.parquet")

    def history(self, consumer: str) -> list[dict]:
        cursor = self.conn.execute(f"select {', '.join(COLUMNS)} from delivery.syncs where consumer = ? "
                                   "order by started_at", [consumer])
        return [dict(zip(COLUMNS, row, strict=True)) for row in cursor.fetchall()]

    def _one(self, where: str, params: list) -> Sync | None:
        row = self.conn.execute(f"select sync_id, consumer, partition_date, action, status, content_hash "
                                f"from delivery.syncs where {where} limit 1", params).fetchone()
        return Sync(*row) if row else None


def _now() -> datetime:
    return datetime.now(UTC)
