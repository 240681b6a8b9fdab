"""Column lineage of the whole project, computed from the compiled dbt SQL (an operator step, not load time).

`prod-pipelines data-dictionary` writes it to the catalog (catalog/column_lineage.json) and impact
analysis traces columns through it. Raw tables' columns come from their landing contracts.
"""

from __future__ import annotations

import json
from functools import cache

from prod_pipelines.catalog.sql_lineage import ModelLineage, model_lineage
from prod_pipelines.dbt.commands import compiled_manifest
from prod_pipelines.dbt.translator import asset_key_of
from prod_pipelines.landing.contracts import CONTRACTS


def source_columns() -> dict[str, list[str]]:
    """The raw tables' columns: `dt`, then each contract's columns."""
    return {f"raw/{c.feed}": ["dt", *(column.name for column in c.columns)] for c in CONTRACTS.values()}


@cache
def models_lineage() -> dict[str, ModelLineage]:
    """Every dbt model's columns and the upstream columns each one derives from, keyed by asset."""
    manifest = compiled_manifest()
    nodes = {**manifest["nodes"], **manifest["sources"]}
    asset_of = {uid: asset_key_of(n).to_user_string() for uid, n in nodes.items()
                if n["resource_type"] in ("model", "source")}
    return model_lineage(manifest, asset_of, source_columns())


def render_lineage() -> str:
    """The catalog file's text: per asset, its columns and each column's upstream `asset:column`s."""
    return json.dumps({
        asset: {"columns": list(model.columns),
                "deps": {column: sorted(f"{a}:{c}" for a, c in deps) for column, deps in model.columns.items()}}
        for asset, model in sorted(models_lineage().items())
    }, indent=1) + "\n"
