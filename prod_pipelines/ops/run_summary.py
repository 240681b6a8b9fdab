"""What a run produced and where: row counts per layer and the files each consumer received."""

from __future__ import annotations

from datetime import date

from prod_pipelines.completeness.verdict import current_verdicts
from prod_pipelines.dbt.project import LAYERS as DBT_LAYERS
from prod_pipelines.settings import Settings
from prod_pipelines.warehouse import Warehouse

LAYERS = ("raw", *DBT_LAYERS)  # the warehouse schemas, in the order data flows through them


def print_summary(settings: Settings, start: date, end: date) -> None:
    with Warehouse.of(settings).connect(read_only=True) as conn:
        tables = conn.execute(
            "select table_schema, table_name from information_schema.tables "
            f"where table_schema in ({', '.join('?' * len(LAYERS))}) order by table_schema, table_name",
            list(LAYERS)).fetchall()
        print(f"\nWarehouse {settings.warehouse_path}")
        for schema, table in sorted(tables, key=lambda t: (LAYERS.index(t[0]), t[1])):
            count = conn.execute(f"select count(*) from {schema}.{table}").fetchone()[0]
            print(f"  {schema}.{table:<40} {count:>12,} rows")
        verdicts = [v for v in current_verdicts(conn) if start <= v.day <= end]
        held = [v for v in verdicts if not v.complete]
        print(f"\nDays {start}..{end}: {len(verdicts) - len(held)} complete, {len(held)} held back "
              "(audit.day_verdicts)")
        for v in held[:10]:
            print(f"  held back {v.day}: {v.reason_text}")
        print("\nWhat each consumer holds now")
        for consumer, partition, rows, location in conn.execute(
            "select consumer, partition_date, rows, location from delivery.syncs where status = 'succeeded' "
            "qualify row_number() over (partition by consumer order by finished_at desc) = 1 order by consumer"
        ).fetchall():
            print(f"  {consumer:<14} {partition}  {rows:>8,} rows  {location}")
