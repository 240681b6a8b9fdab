"""The dev instance's SQLite storage commits without waiting for the disk at every event.

Dagster stores each event (run steps, and one per asset, partition and check: thousands in a
backfill) in its own SQLite transaction, on a new connection, and SQLite's default
`synchronous=FULL` waits for an fsync at every commit: most of each event's cost here (docs/benchmarks.md).
Dagster keeps its SQLite files in WAL mode, where `synchronous=NORMAL` cannot corrupt a database; a
power cut (not a crash of the process) may lose the last commits before a checkpoint, which on a
dev instance means a run to re-execute. Staging and prod keep their events in PostgreSQL, untouched.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy import event
from sqlalchemy.engine import Engine

# Set to 1 to keep SQLite's default (an fsync per commit), e.g. to measure what this saves.
SQLITE_FSYNC_VAR = "PROD_PIPELINES_SQLITE_FSYNC_EACH_COMMIT"


def commit_without_fsync() -> None:
    """From now on in this process, every SQLite database in WAL mode opened through SQLAlchemy (how
    Dagster opens its storage) syncs at checkpoints instead of at each commit."""
    if not event.contains(Engine, "connect", _normal_sync_in_wal_mode):
        event.listen(Engine, "connect", _normal_sync_in_wal_mode)


def _normal_sync_in_wal_mode(dbapi_connection, _connection_record) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    try:
        (mode,) = cursor.execute("PRAGMA journal_mode").fetchone()
        if mode.lower() == "wal":
            cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()
