"""Canary: build one day of the marts and exports from a changed dbt project into shadow schemas
(`canary_*`) beside the main tables, and report the difference before the change is promoted.

Staging (views over the same raw tables as production) is built and tested over the 90 days the
ranking reads, everything downstream for the day itself. Nothing the consumers read is touched.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb

from prod_pipelines.dbt import project
from prod_pipelines.dbt.commands import dbt_cli_args, run_dbt
from prod_pipelines.partitions import window_of
from prod_pipelines.settings import DBT_PROJECT_DIR, Settings
from prod_pipelines.warehouse import Warehouse

PREFIX = "canary_"


def compared_tables() -> dict[str, list[str]]:
    """Each export and each mart an export reads -> the columns that identify its rows (its grain)."""
    exports = list(project.models(("exports",)))
    read = {parent for e in exports for parent in e["depends_on"]["nodes"]}
    marts = [m for m in project.models(("marts",)) if m["unique_id"] in read]
    return {project.relation(node): project.grain(node) for node in [*marts, *exports]}


def build(settings: Settings, day: date, project_dir: Path = DBT_PROJECT_DIR) -> None:
    lookback = day - timedelta(days=project.sales_window_days() - 1)
    for select, start in (("staging", lookback), ("intermediate+", day)):
        args = dbt_cli_args(window_of(start, day), str(settings.warehouse_path), schema_prefix=PREFIX)
        try:
            run_dbt([*args, "--select", select, "--indirect-selection", "cautious"], project_dir,
                    settings.data_dir / "canary" / "target")
        except RuntimeError as error:
            raise RuntimeError(f"canary dbt build --select {select} failed: {error}") from error


def compare(settings: Settings, day: date) -> dict[str, dict]:
    with Warehouse.of(settings).connect(read_only=True) as conn:
        return {table: _compare(conn, table, key, day) for table, key in compared_tables().items()}


def _compare(conn: duckdb.DuckDBPyConnection, table: str, key: list[str], day: date) -> dict:
    main = f"(select * from {table} where as_of_date = DATE '{day}')"
    shadow = f"(select * from {PREFIX}{table} where as_of_date = DATE '{day}')"
    on = " and ".join(f"m.{k} = c.{k}" for k in key)
    rows = lambda t: conn.execute(f"select count(*) from {t}").fetchone()[0]  # noqa: E731
    added = conn.execute(f"select count(*) from {shadow} c anti join {main} m on {on}").fetchone()[0]
    removed = conn.execute(f"select count(*) from {main} m anti join {shadow} c on {on}").fetchone()[0]
    changed = conn.execute(f"select count(*) from {main} m join {shadow} c on {on} "
                           f"where m::varchar is distinct from c::varchar").fetchone()[0]
    return {"main_rows": rows(main), "canary_rows": rows(shadow), "keys_added": added, "keys_removed": removed,
            "values_changed": changed}


def table(diff: dict[str, dict]) -> str:
    lines = [f"{'table':<48} {'main':>8} {'canary':>8} {'added':>7} {'removed':>8} {'changed':>8}"]
    for table, d in diff.items():
        lines.append(f"{table:<48} {d['main_rows']:>8} {d['canary_rows']:>8} {d['keys_added']:>7} "
                     f"{d['keys_removed']:>8} {d['values_changed']:>8}")
    return "\n".join(lines)
