"""`backfill --dry-run`: what a run over a range would do, read from the warehouse without changing it."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb

from prod_pipelines.dbt import project
from prod_pipelines.delivery.consumers import Consumer, consumers
from prod_pipelines.landing.contracts import CONTRACTS
from prod_pipelines.settings import Settings
from prod_pipelines.warehouse import Warehouse


def print_plan(settings: Settings, start: date, end: date, feeds: list[str] | None) -> None:
    days = (end - start).days + 1
    print(f"Dry run: partitions {start}..{end} ({days} day{'s' * (days > 1)}) in one run; nothing is changed.\n")
    reloaded = feeds or list(CONTRACTS)
    tables = [(f"raw/{f}", f"raw.{f}", "dt") for f in reloaded] + [
        (project.asset_path(n), project.relation(n), project.window_column(n))
        for n in project.models() if n["config"]["materialized"] != "view"]
    if not settings.warehouse_path.exists():
        print(f"The warehouse {settings.warehouse_path} does not exist yet: every table would be created.")
        return
    with Warehouse.of(settings).connect(read_only=True) as conn:
        print(f"{'asset':<52} {'rows replaced':>14}")
        for asset, table, column in tables:
            print(f"{asset:<52} {_rows_in(conn, table, column, start, end):>14}")
        print(f"\nReloaded raw feeds: {', '.join(reloaded)}; every intermediate, mart and export model is rebuilt "
              "(staging models are views over raw: nothing to write).")
        print("\nDeliveries (the newest day judged complete only; history is never re-sent):")
        for consumer in consumers():
            print(f"  {consumer.name:<14} {_delivery_plan(conn, consumer, start, end)}")


def _rows_in(conn: duckdb.DuckDBPyConnection, table: str, column: str, start: date, end: date) -> str:
    try:
        count = conn.execute(f"select count(*) from {table} where {column} between ? and ?", [start, end]).fetchone()[0]
    except duckdb.CatalogException:
        return "new table"
    return f"{count:,}"


def _delivery_plan(conn: duckdb.DuckDBPyConnection, consumer: Consumer, start: date, end: date) -> str:
    newest = next((end - timedelta(days=i) for i in range((end - start).days + 1)
                   if consumer.sends_for((end - timedelta(days=i)).weekday())), None)
    try:
        held = conn.execute("select max(partition_date) from delivery.syncs "
                            "where consumer = ? and status = 'succeeded'",
                            [consumer.name]).fetchone()[0]
    except duckdb.CatalogException:
        held = None
    if newest is None:
        return f"nothing: no partition it is sent ({consumer.send_on}) is in the range"
    if held is not None and newest < held:
        return f"nothing: it holds {held}, newer than the range"
    return (f"would receive {newest} if that day is judged complete and its content changed "
            f"(it holds {held or 'nothing yet'})")
