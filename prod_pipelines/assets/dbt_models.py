"""dbt models (staging -> intermediate -> marts -> exports) as one daily-partitioned multi-asset.

One run covers a window of days: `dbt run` replaces the window, then `dbt test` judges each day
of it (assets/dbt_checks.py). Keys and checks come from the translator (dbt/translator.py).
"""


import dagster as dg
from dagster_dbt import DbtCliInvocation, DbtCliResource, dbt_assets

from prod_pipelines.assets.dbt_checks import judge_days
from prod_pipelines.completeness import day_checks
from prod_pipelines.dbt.commands import dbt_cli_args
from prod_pipelines.dbt.project import DBT_PROJECT, ensure_manifest, manifest
from prod_pipelines.dbt.translator import LayeredTranslator
from prod_pipelines.partitions import days_of, dbt_vars
from prod_pipelines.warehouse import Warehouse


def build_dbt_assets(partitions_def: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    ensure_manifest()

    @dbt_assets(
        manifest=DBT_PROJECT.manifest_path,
        project=DBT_PROJECT,
        dagster_dbt_translator=LayeredTranslator(partitions_def),
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
        checks = judge_days(results, days_of(window), warehouse, manifest()["nodes"])
        with warehouse.connect() as conn:
            day_checks.record(conn, checks, context.run.run_id)
        yield from day_checks.evaluations(context, checks)

    return dbt_models


def _raise_if_a_test_could_not_run(invocation: DbtCliInvocation) -> None:
    """A test that fails judges its days; a test that errors (bad SQL, a missing relation) judges nothing."""
    errored = [r["unique_id"] for r in invocation.get_artifact("run_results.json")["results"] if r["status"] == "error"]
    if errored:
        raise dg.Failure(description=f"dbt test(s) could not run: {', '.join(errored)}; see the dbt log above")
