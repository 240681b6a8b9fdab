"""How a dbt node becomes a Dagster asset or check: keys, groups, owners, tags and column metadata.

Keys, groups, owners and tags are derived from the dbt layout and YAML `meta`, never from lists of
model names: a model in `models/<layer>/` becomes `<layer>/<model>` in group `<layer>`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject

from prod_pipelines.catalog.columns import column_lineage, column_schema
from prod_pipelines.dbt.project import asset_path, layer_of
from prod_pipelines.dbt.test_descriptions import describe


class LayeredTranslator(DagsterDbtTranslator):
    """`raw/<table>` for sources, `<layer>/<model>` for models (`project.asset_path`); owner and tier
    from `meta`.

    With `partitions_def`, every dbt test becomes a check judged per day (see assets/dbt_checks.py),
    described by its YAML `description` or its generic test's sentence (dbt/test_descriptions.py).
    No check stops the run: the day verdict holds back the days a failed ERROR test names, and lets
    the other days of the window through.
    """

    def __init__(self, partitions_def: dg.PartitionsDefinition | None = None):
        super().__init__(DagsterDbtTranslatorSettings(enable_asset_checks=True))
        self._partitions_def = partitions_def

    def get_asset_check_spec(self, asset_spec: dg.AssetSpec, manifest: Mapping[str, Any], unique_id: str,
                             project: DbtProject | None) -> dg.AssetCheckSpec | None:
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None:
            return None
        return spec._replace(partitions_def=self._partitions_def, blocking=False,
                             description=describe(manifest["nodes"][unique_id]) or spec.description)

    def get_asset_key(self, props: Mapping[str, Any]) -> dg.AssetKey:
        if props["resource_type"] == "source":
            return dg.AssetKey([props["source_name"], props["name"]])
        return dg.AssetKey.from_user_string(asset_path(props))

    def get_group_name(self, props: Mapping[str, Any]) -> str | None:
        return layer_of(props) if props["resource_type"] == "model" else None

    def get_owners(self, props: Mapping[str, Any]) -> list[str] | None:
        owner = props.get("meta", {}).get("owner")
        return [owner] if owner else None

    def get_metadata(self, props: Mapping[str, Any]) -> Mapping[str, Any]:
        """Every column (not only the documented ones) and each column's lineage, from the catalog."""
        metadata = dict(super().get_metadata(props))
        asset = self.get_asset_key(props).to_user_string()
        schema = column_schema(asset, props.get("columns"))
        lineage = column_lineage(asset)
        if schema is not None:
            metadata["dagster/column_schema"] = schema
        if lineage is not None:
            metadata["dagster/column_lineage"] = lineage
        return metadata

    def get_tags(self, props: Mapping[str, Any]) -> Mapping[str, str]:
        tier = props.get("meta", {}).get("tier")
        return {**super().get_tags(props), **({"tier": tier} if tier else {})}


TRANSLATOR = LayeredTranslator()


def asset_key_of(node: Mapping[str, Any]) -> dg.AssetKey:
    """The asset key of a manifest node (a model or a source)."""
    return TRANSLATOR.get_asset_key(node)
