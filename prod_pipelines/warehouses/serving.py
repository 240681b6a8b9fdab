"""The served copy: on Spark, the window's rows of the models that the pipeline serves from, copied
into the DuckDB file right after `dbt run`.

Grain: the same as each model's (an export's rows per store and rank and day; one row per day of
`daily_data_quality`). Why a copy: deliveries compare each day with what the ledger sent and write
the ledger in the same DuckDB transaction, and the verdict reads each day's figures beside the
check results; both stay in the control plane's store whatever engine built the data, and a
consumer is never served from a half-built Spark table. On DuckDB dbt builds in the file itself, so
there is nothing to copy.

Each model's window is replaced in one transaction (delete the days, insert the new rows), so a
re-run of any range leaves no duplicate and no stale day, as dbt's own `replace_window` does.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import duckdb
import pyarrow as pa

from prod_pipelines.warehouses.built import BuiltRelations, Rows


def copy_window(built: BuiltRelations, conn: duckdb.DuckDBPyConnection,
                served: Mapping[str, tuple[str, list[str]]], first: date, last: date) -> dict[str, int]:
    """Replaces [first, last] of each model of `served` (dbt.project.served_models: relation -> window
    column and declared columns) in the DuckDB file with the engine's rows; the rows copied per relation.
    The copy's columns are in their declared order (Spark moves a partition column last)."""
    copied = {}
    for name, (column, declared) in served.items():
        rows = _in_order(built.window(name, column, first, last), declared)
        _replace(conn, name, column, rows, first, last)
        copied[name] = len(rows.values)
    return copied


def _in_order(rows: Rows, declared: list[str]) -> Rows:
    if sorted(declared) != sorted(rows.columns):
        return rows  # not every column is declared: keep the engine's order
    at = [rows.columns.index(c) for c in declared]
    return Rows(declared, [rows.types[i] for i in at], [tuple(row[i] for i in at) for row in rows.values])


def _replace(conn: duckdb.DuckDBPyConnection, name: str, column: str, rows: Rows, first: date, last: date) -> None:
    schema = name.partition(".")[0]
    columns = ", ".join(f'"{c}" {t}' for c, t in zip(rows.columns, rows.types, strict=True))
    conn.execute(f"create schema if not exists {schema}")
    conn.execute(f"create table if not exists {name} ({columns})")
    conn.execute("begin transaction")
    try:
        conn.execute(f"delete from {name} where {column} between ? and ?", [first, last])
        if rows.values:
            arriving = pa.table({c: list(v) for c, v in zip(rows.columns, zip(*rows.values, strict=True), strict=True)})
            conn.register("arriving_rows", arriving)
            conn.execute(f"insert into {name} by name select * from arriving_rows")
            conn.unregister("arriving_rows")
        conn.execute("commit")
    except Exception:
        conn.execute("rollback")
        raise
