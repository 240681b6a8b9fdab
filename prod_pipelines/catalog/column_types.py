"""The type of every column of every dbt model, as DuckDB derives it from the compiled SQL.

Most model columns declare no `data_type` in YAML (only the export contracts must), and the dbt
catalog needs a built warehouse. So `prod-pipelines data-dictionary` creates the raw tables from the
landing contracts in an empty in-memory DuckDB, defines each model as a view over the ones before it,
and reads back the types: offline, in well under a second, exactly what the warehouse would hold.
"""

from __future__ import annotations

from collections.abc import Mapping

import duckdb

from prod_pipelines.catalog.sql_lineage import dependency_order
from prod_pipelines.landing.contracts import CONTRACTS
from prod_pipelines.landing.loader import ensure_tables


def model_column_types(manifest: dict, asset_of: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """asset -> {column: DuckDB type}, from a compiled manifest whose relations live in `memory`
    (`dbt compile` with `warehouse_path: ':memory:'`, see dbt/commands.py)."""
    conn = duckdb.connect()
    try:
        for contract in CONTRACTS.values():
            ensure_tables(conn, contract)
        found = {}
        for uid in dependency_order(manifest):
            node = manifest["nodes"][uid]
            conn.execute(f"create schema if not exists {node['schema']}")
            try:
                conn.execute(f"create view {node['relation_name']} as {node['compiled_code']}")
            except duckdb.Error as error:
                raise ValueError(f"cannot derive the column types of {uid}: {error}") from error
            described = conn.execute(f"describe {node['relation_name']}").fetchall()
            found[asset_of[uid]] = {name: kind.lower() for name, kind, *_ in described}
        return found
    finally:
        conn.close()
