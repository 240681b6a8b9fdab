"""Column lineage of the whole project, computed from the compiled dbt SQL (an operator step, not load time).

`prod-pipelines data-dictionary` writes it to the catalog (catalog/column_lineage.json) and impact
analysis traces columns through it. Raw tables' columns come from their landing contracts.
"""

from __future__ import annotations

import json
from functools import cache

from prod_pipelines.catalog.column_types import model_column_types
from prod_pipelines.catalog.sql_lineage import ModelLineage, model_lineage
from prod_pipelines.dbt.commands import compiled_manifest
from prod_pipelines.dbt.translator import asset_key_of
from prod_pipelines.landing.contracts import CONTRACTS


def source_columns() -> dict[str, list[str]]:
    """The raw tables' columns: `dt`, then each contract's columns."""
    return {f"raw/{c.feed}": ["dt", *(column.name for column in c.columns)] for c in CONTRACTS.values()}


@cache
def _compiled() -> tuple[dict, dict[str, str]]:
    """The compiled manifest, and its models' and sources' asset keys by dbt unique id."""
    manifest = compiled_manifest()
    nodes = {**manifest["nodes"], **manifest["sources"]}
    return manifest, {uid: asset_key_of(n).to_user_string() for uid, n in nodes.items()
                      if n["resource_type"] in ("model", "source")}


@cache
def models_lineage() -> dict[str, ModelLineage]:
    """Every dbt model's columns and the upstream columns each one derives from, keyed by asset."""
    manifest, asset_of = _compiled()
    return model_lineage(manifest, asset_of, source_columns())


def render_lineage() -> str:
    """The catalog file's text: per asset, its columns with their types and each column's upstream
    `asset:column`s."""
    types = model_column_types(*_compiled())
    return json.dumps({
        asset: {"columns": list(model.columns),
                "types": {column: types[asset][column] for column in model.columns},
                "deps": {column: sorted(f"{a}:{c}" for a, c in deps) for column, deps in model.columns.items()}}
        for asset, model in sorted(models_lineage().items())
    }, indent=1) + "\n"
