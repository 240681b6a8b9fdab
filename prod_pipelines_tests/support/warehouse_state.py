"""Per-partition digests of every layer, to tell exactly which partitions a run changed."""

from __future__ import annotations

from pathlib import Path

import duckdb

DATE_COLUMNS = ("dt", "snapshot_date", "order_date", "as_of_date")
SCHEMAS = ("raw", "intermediate", "marts", "exports")  # staging is views over raw
# When a partition was loaded: a re-run changes it by design, the data it describes must not change.
LOAD_TIME_COLUMNS = ("loaded_at",)


def partition_digests(data_dir: Path) -> dict[tuple[str, str], str]:
    """{(table, partition date): digest of that partition's rows}, for every table of every layer.

    Views (staging) are left out: they show raw's rows, whose digests are already here."""
    conn = duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True)
    try:
        digests = {}
        for schema, table in conn.execute(
                "select table_schema, table_name from information_schema.tables where table_schema in "
                f"{SCHEMAS} and table_name <> 'rejects' and table_type = 'BASE TABLE'").fetchall():
            columns = {c for (c,) in conn.execute("select column_name from information_schema.columns "
                                                  "where table_schema = ? and table_name = ?",
                                                  [schema, table]).fetchall()}
            column = next(c for c in DATE_COLUMNS if c in columns)
            exclude = [c for c in LOAD_TIME_COLUMNS if c in columns]
            rows = (f"(select * exclude ({', '.join(exclude)}) from {schema}.{table})" if exclude
                    else f"{schema}.{table}")
            for day, digest in conn.execute(
                    f"select {column}::varchar, md5(string_agg(t::varchar, '|' order by t::varchar)) "
                    f"from {rows} t group by 1").fetchall():
                digests[(f"{schema}.{table}", day)] = digest
        return digests
    finally:
        conn.close()


def query(data_dir: Path, sql: str, params: list | None = None) -> list[tuple]:
    """Rows of one query on the data dir's warehouse, opened read-only and closed again."""
    conn = duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True)
    try:
        return conn.execute(sql, params or []).fetchall()
    finally:
        conn.close()


def pipeline_runs(data_dir: Path) -> list:
    import dagster as dg

    instance = dg.DagsterInstance.from_config(str(data_dir / "dagster"))
    try:
        return [r.dagster_run for r in instance.get_run_records(dg.RunsFilter(job_name="pipeline"))]
    finally:
        instance.dispose()
