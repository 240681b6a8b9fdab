"""Column-level catalog of the dbt models: every model's columns and where each one comes from.

Computed from the compiled SQL (sqlglot, see impact_columns.py) by `prod-pipelines data-dictionary`
and kept in `prod_pipelines/catalog/column_lineage.json`, so the definitions attach column schemas
and column lineage to every asset without compiling dbt or opening the warehouse at load time.
A test fails when the file no longer matches the SQL.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import dagster as dg

LINEAGE_FILE = Path(__file__).with_name("assets") / "column_lineage.json"


def render_lineage() -> str:
    from prod_pipelines.ops.impact import _column_lineage

    models = _column_lineage()
    return json.dumps({
        asset: {"columns": list(model.columns),
                "deps": {column: sorted(f"{a}:{c}" for a, c in deps) for column, deps in model.columns.items()}}
        for asset, model in sorted(models.items())
    }, indent=1) + "\n"


@cache
def load_lineage() -> dict:
    return json.loads(LINEAGE_FILE.read_text()) if LINEAGE_FILE.exists() else {}


def column_schema(asset: str, declared: dict | None = None) -> dg.TableSchema | None:
    """All of an asset's columns, with the type and description declared in dbt YAML where there is one."""
    entry = load_lineage().get(asset)
    if entry is None:
        return None
    declared = declared or {}
    return dg.TableSchema(columns=[
        dg.TableColumn(name, (declared.get(name) or {}).get("data_type") or "",
                       description=(declared.get(name) or {}).get("description") or None)
        for name in entry["columns"]])


def column_lineage(asset: str) -> dg.TableColumnLineage | None:
    entry = load_lineage().get(asset)
    if entry is None:
        return None
    return dg.TableColumnLineage(deps_by_column={
        column: [dg.TableColumnDep(asset_key=dg.AssetKey.from_user_string(a), column_name=c)
                 for a, c in (dep.rsplit(":", 1) for dep in deps)]
        for column, deps in entry["deps"].items()})
