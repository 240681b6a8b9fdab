"""dbt models (staging -> intermediate -> marts -> exports) as daily-partitioned Dagster assets.

Keys, groups, owners and tags are derived from the dbt layout and YAML `meta`, never from lists of
model names: a model in `models/<layer>/` becomes `<layer>/<model>` in group `<layer>`.
"""


import json
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

import dagster as dg
from dagster._utils import run_with_concurrent_update_guard
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from prod_pipelines.catalog import column_lineage, column_schema
from prod_pipelines.partitions import dbt_vars
from prod_pipelines.settings import DBT_EXECUTABLE, DBT_PROJECT_DIR
from prod_pipelines.warehouse import Warehouse

DBT_PROJECT = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
FAILURE_SAMPLE_ROWS = 5
_NO_ID = dg.MetadataValue.text("")


@cache
def _manifest() -> dict:
    return json.loads(DBT_PROJECT.manifest_path.read_text())


def ensure_manifest(project: DbtProject = DBT_PROJECT) -> None:
    """Parses the dbt project when its manifest is missing (a fresh clone) or older than any dbt file."""
    if _manifest_is_stale(project):
        # The guard serialises concurrent parses (parallel test workers, CLI and UI starting together).
        run_with_concurrent_update_guard(project.manifest_path, _parse, project=project)


def _parse(project: DbtProject) -> None:
    dbt = DbtCliResource(project_dir=project, dbt_executable=DBT_EXECUTABLE)
    dbt.cli(["parse", "--quiet"], target_path=project.target_path).wait()


def _manifest_is_stale(project: DbtProject) -> bool:
    if not project.manifest_path.exists():
        return True
    built = project.manifest_path.stat().st_mtime
    sources = [project.project_dir / "dbt_project.yml", project.project_dir / "profiles.yml"]
    sources += [p for folder in ("models", "macros", "tests") for p in (project.project_dir / folder).rglob("*") if p.is_file()]
    return any(p.stat().st_mtime > built for p in sources if p.exists())


class LayeredTranslator(DagsterDbtTranslator):
    """`raw/<table>` for sources, `<layer>/<model>` for models; owner and tier from `meta`."""

    def get_asset_key(self, props: Mapping[str, Any]) -> dg.AssetKey:
        if props["resource_type"] == "source":
            return dg.AssetKey([props["source_name"], props["name"]])
        return dg.AssetKey([_layer(props), props["name"]])

    def get_group_name(self, props: Mapping[str, Any]) -> str | None:
        return _layer(props) if props["resource_type"] == "model" else None

    def get_owners(self, props: Mapping[str, Any]) -> list[str] | None:
        owner = props.get("meta", {}).get("owner")
        return [owner] if owner else None

    def get_metadata(self, props: Mapping[str, Any]) -> Mapping[str, Any]:
        """Every column (not only the documented ones) and each column's lineage, from catalog.py."""
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

    def get_partition_mapping(self, props: Mapping[str, Any], parent_props: Mapping[str, Any]) -> dg.PartitionMapping | None:
        """A model reading N days back from a parent declares `meta.lookback_days: {parent: N}`."""
        lookback = props.get("meta", {}).get("lookback_days", {}).get(parent_props["name"])
        if lookback is None:
            return None
        return dg.TimeWindowPartitionMapping(start_offset=-int(lookback), allow_nonexistent_upstream_partitions=True)


def _layer(props: Mapping[str, Any]) -> str:
    return props["fqn"][1] if len(props["fqn"]) > 2 else "models"


TRANSLATOR = LayeredTranslator(DagsterDbtTranslatorSettings(enable_asset_checks=True))


def with_failure_samples(events: Iterator, warehouse: Warehouse) -> Iterator:
    """Passes dbt's events through; failed checks are held until dbt exits, then get a sample of
    their failing rows (stored by dbt as views) so the check says what to act on."""
    failed: list[dg.AssetCheckResult] = []
    try:
        for event in events:
            if isinstance(event, dg.AssetCheckResult) and not event.passed:
                failed.append(event)
            else:
                yield event
    finally:
        yield from (_with_sample(result, warehouse) for result in failed)


def _with_sample(result: dg.AssetCheckResult, warehouse: Warehouse) -> dg.AssetCheckResult:
    node = _manifest().get("nodes", {}).get(str(result.metadata.get("unique_id", _NO_ID).value), {})
    relation = node.get("relation_name")
    if not relation:
        return result
    try:
        with warehouse.connect(read_only=True) as conn:
            cursor = conn.execute(f"select * from {relation} limit {FAILURE_SAMPLE_ROWS}")
            columns = [d[0] for d in cursor.description]
            sample = [{c: str(v) for c, v in zip(columns, row)} for row in cursor.fetchall()]
    except Exception as error:  # the sample is a courtesy; the check result stands without it
        sample = [{"sample_unavailable": str(error).splitlines()[0]}]
    return dg.AssetCheckResult(
        passed=result.passed, asset_key=result.asset_key, check_name=result.check_name, severity=result.severity,
        description=result.description, metadata={**result.metadata, "failing_rows_sample": dg.MetadataValue.json(sample)})


def dbt_cli_args(window: dg.TimeWindow, warehouse_path: str, **extra_vars: str) -> list[str]:
    """`dbt build` for one partition window: the window, the warehouse (and any `extra_vars`) reach dbt as vars."""
    return ["build", "--exclude-resource-type", "unit_test",
            "--vars", json.dumps({**dbt_vars(window), "warehouse_path": warehouse_path, **extra_vars})]


def build_dbt_assets(partitions_def: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    ensure_manifest()

    @dbt_assets(
        manifest=DBT_PROJECT.manifest_path,
        project=DBT_PROJECT,
        dagster_dbt_translator=TRANSLATOR,
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool="warehouse",
    )
    def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: Warehouse):
        args = dbt_cli_args(context.partition_time_window, warehouse.path)
        context.log.info(f"dbt build for window {dbt_vars(context.partition_time_window)}")
        yield from with_failure_samples(dbt.cli(args, context=context).stream(), warehouse)

    return dbt_models
