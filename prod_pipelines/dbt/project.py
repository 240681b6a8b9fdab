"""dbt models (staging -> intermediate -> marts -> exports) as daily-partitioned Dagster assets.

Keys, groups, owners and tags are derived from the dbt layout and YAML `meta`, never from lists of
model names: a model in `models/<layer>/` becomes `<layer>/<model>` in group `<layer>`.
"""


import json
from collections.abc import Mapping
from functools import cache
from typing import Any

import dagster as dg
from dagster._utils import run_with_concurrent_update_guard
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from prod_pipelines.assets.dbt_checks import judge_days
from prod_pipelines.catalog.columns import column_lineage, column_schema
from prod_pipelines.completeness import day_checks
from prod_pipelines.partitions import days_of, dbt_vars
from prod_pipelines.settings import DBT_EXECUTABLE, DBT_PROJECT_DIR
from prod_pipelines.warehouse import Warehouse

DBT_PROJECT = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


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
    """`raw/<table>` for sources, `<layer>/<model>` for models; owner and tier from `meta`.

    With `partitions_def`, every dbt test becomes a check judged per day (see dbt_checks.py),
    described by its YAML `description`. No check stops the run: the day verdict holds back the
    days a failed ERROR test names, and lets the other days of the window through.
    """

    def __init__(self, settings: DagsterDbtTranslatorSettings, partitions_def: dg.PartitionsDefinition | None = None):
        super().__init__(settings)
        self._partitions_def = partitions_def

    def get_asset_check_spec(self, asset_spec: dg.AssetSpec, manifest: Mapping[str, Any], unique_id: str,
                             project: DbtProject | None) -> dg.AssetCheckSpec | None:
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None:
            return None
        return spec._replace(partitions_def=self._partitions_def, blocking=False,
                             description=manifest["nodes"][unique_id].get("description") or spec.description)

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


def _layer(props: Mapping[str, Any]) -> str:
    return props["fqn"][1] if len(props["fqn"]) > 2 else "models"


TRANSLATOR = LayeredTranslator(DagsterDbtTranslatorSettings(enable_asset_checks=True))


def dbt_cli_args(window: dg.TimeWindow, warehouse_path: str, command: str = "build", **extra_vars: str) -> list[str]:
    """`dbt <command>` for one partition window: the window, the warehouse (and any `extra_vars`) reach dbt as vars.

    `test` runs only the tests whose every parent is selected (cautious indirect selection): a
    subset of models never runs a test that reads a model outside it.
    """
    selection = {"build": ["--exclude-resource-type", "unit_test"], "run": [],
                 "test": ["--exclude-resource-type", "unit_test", "--indirect-selection", "cautious"]}[command]
    return [command, *selection,
            "--vars", json.dumps({**dbt_vars(window), "warehouse_path": warehouse_path, **extra_vars})]


def build_dbt_assets(partitions_def: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    ensure_manifest()

    @dbt_assets(
        manifest=DBT_PROJECT.manifest_path,
        project=DBT_PROJECT,
        dagster_dbt_translator=LayeredTranslator(TRANSLATOR.settings, partitions_def),
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool="warehouse",
    )
    def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: Warehouse):
        """`dbt run`, then `dbt test` judged per day: a failing test must not skip the window's other days."""
        window = context.partition_time_window
        context.log.info(f"dbt run and test for window {dbt_vars(window)}")
        yield from dbt.cli(dbt_cli_args(window, warehouse.path, command="run"), context=context).stream()
        tests = dbt.cli(dbt_cli_args(window, warehouse.path, command="test"), context=context, raise_on_error=False)
        results = []
        for event in tests.stream():
            if isinstance(event, dg.AssetCheckResult):
                results.append(event)
            else:
                yield event
        _raise_if_a_test_could_not_run(tests)
        selected = context.selected_asset_check_keys
        results = [r for r in results if dg.AssetCheckKey(r.asset_key, r.check_name) in selected]
        checks = judge_days(results, days_of(window), warehouse, _manifest()["nodes"])
        with warehouse.connect() as conn:
            day_checks.record(conn, checks, context.run.run_id)
        yield from day_checks.report(context, checks)

    return dbt_models


def _raise_if_a_test_could_not_run(invocation) -> None:
    """A test that fails judges its days; a test that errors (bad SQL, a missing relation) judges nothing."""
    errored = [r["unique_id"] for r in invocation.get_artifact("run_results.json")["results"] if r["status"] == "error"]
    if errored:
        raise dg.Failure(description=f"dbt test(s) could not run: {', '.join(errored)}; see the dbt log above")
