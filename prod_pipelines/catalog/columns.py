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

from prod_pipelines.landing.contracts import Contract

LINEAGE_FILE = Path(__file__).with_name("column_lineage.json")


def raw_table_schema(contract: Contract) -> dg.TableSchema:
    """The columns of `raw.<feed>`: the landing partition, then the contract's columns in order."""
    return dg.TableSchema(columns=[dg.TableColumn("dt", "date", description="landing partition")] + [
        dg.TableColumn(c.name, c.kind, constraints=dg.TableColumnConstraints(nullable=c.nullable))
        for c in contract.columns])


@cache
def load_lineage() -> dict:
    return json.loads(LINEAGE_FILE.read_text()) if LINEAGE_FILE.exists() else {}


def column_schema(asset: str, declared: dict | None = None) -> dg.TableSchema | None:
    """All of an asset's columns, with the type declared in dbt YAML or else the one DuckDB derives
    (catalog/column_types.py), and the YAML description where there is one."""
    entry = load_lineage().get(asset)
    if entry is None:
        return None
    declared, derived = declared or {}, entry.get("types", {})
    return dg.TableSchema(columns=[
        dg.TableColumn(name, (declared.get(name) or {}).get("data_type") or derived.get(name, ""),
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
