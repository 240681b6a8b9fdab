"""The DuckDB warehouse: one file, one writer at a time; and the engine dbt builds on (the file itself, or Spark)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from prod_pipelines.settings import Settings


class Warehouse(dg.ConfigurableResource):
    """Opens the warehouse file and always closes it, so that dbt (a separate process) can take the lock next.

    dagster-duckdb's resource retries on lock errors and leaves the connection open when the body
    raises; here concurrency is Dagster's job (run queue, pools), and a failed step releases the file.
    Every connection is capped like dbt's (`Settings.duckdb_limits`): past the cap DuckDB spills to
    `<warehouse>.tmp` instead of growing.
    """

    path: str
    memory_limit: str = "1GB"
    threads: int = 2
    sync_log_retention_days: int = 400  # delivery.sync_changelog's retention (config/<env>.yaml)
    # Where dbt builds (settings.ENGINES): `duckdb` in this file, or `spark` over the Parquet lake.
    engine: str = "duckdb"
    lake_dir: str = ""
    spark_host: str = "127.0.0.1"
    spark_port: int = 10000

    @classmethod
    def of(cls, settings: Settings) -> Warehouse:
        return cls(path=str(settings.warehouse_path), sync_log_retention_days=settings.sync_log_retention_days,
                   engine=settings.engine, lake_dir=str(settings.lake_dir), spark_host=settings.spark_host,
                   spark_port=settings.spark_port, **settings.duckdb_limits)

    @property
    def on_spark(self) -> bool:
        return self.engine == "spark"

    @property
    def sent_dir(self) -> Path:
        """Where the sync ledger keeps a copy of what each sync sent (beside the warehouse file)."""
        return Path(self.path).parent / "delivery" / "sent"

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        conn = duckdb.connect(self.path, read_only=read_only,
                              config={"memory_limit": self.memory_limit, "threads": self.threads})
        try:
            yield conn
        finally:
            conn.close()


def content_digest(conn: duckdb.DuckDBPyConnection, relation: str, where: str = "true",
                   params: list | None = None) -> tuple[int, str]:
    """Row count and an order-independent digest of the rows of `relation` matching `where`.

    The one definition of "same content": the delivery ledger skips a sync whose digest it already
    sent, and the benchmark proves its ways of computing the result agree.
    """
    count, digest = conn.execute(
        f"select count(*), coalesce(md5(string_agg(r, '\n' order by r)), '') "
        f"from (select t::varchar as r from {relation} as t where {where})", params or []
    ).fetchone()
    return count, digest


def table_checksum(conn: duckdb.DuckDBPyConnection, table: str) -> tuple[int, str]:
    """Row count and an order-independent digest of a table's contents."""
    return content_digest(conn, table)
