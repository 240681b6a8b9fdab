"""dbt models (staging -> intermediate -> marts -> exports) as one daily-partitioned multi-asset.

One run covers a window of days: `dbt run` replaces the window, then `dbt test` judges each day
of it (assets/dbt_checks.py). Keys and checks come from the translator (dbt/translator.py).
"""


from datetime import date

import dagster as dg
from dagster_dbt import DbtCliInvocation, DbtCliResource, dbt_assets

from prod_pipelines.assets.dbt_checks import judge_days
from prod_pipelines.completeness import day_checks
from prod_pipelines.dbt.commands import dbt_cli_args
from prod_pipelines.dbt.project import (
    DBT_PROJECT,
    asset_path,
    ensure_manifest,
    manifest,
    models,
    relation,
    served_models,
    window_column,
)
from prod_pipelines.dbt.translator import LayeredTranslator
from prod_pipelines.partitions import days_of, dbt_vars
from prod_pipelines.warehouse import Warehouse
from prod_pipelines.warehouses import serving
from prod_pipelines.warehouses.built import read_back


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
        # Held until dbt exits (it holds the warehouse's one writer lock), then counted per day.
        built = list(dbt.cli(dbt_cli_args(window, warehouse.path, command="run"), context=context).stream())
        if warehouse.on_spark:
            _serve_window(context, warehouse, days_of(window))
        yield from with_rows_per_day(context, built, warehouse, days_of(window))
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
        with read_back(warehouse) as built_tables:
            checks = judge_days(results, days_of(window), built_tables, manifest()["nodes"])
        with warehouse.connect() as conn:
            day_checks.record(conn, checks, context.run.run_id)
        yield from day_checks.evaluations(context, checks)

    return dbt_models


def with_rows_per_day(context: dg.AssetExecutionContext, events: list, warehouse: Warehouse,
                      days: list[date]) -> list:
    """Each table model's partition carries its own day's rows as `dagster/row_count`, also when the
    run covers a range (metadata scoped to the partition, so no extra event per day); the output
    keeps the window's `rows_by_day` beside it. Must run before the outputs are yielded."""
    nodes = {asset_path(n): n for n in models() if n["config"]["materialized"] != "view"}
    counted = []
    with read_back(warehouse) as built:
        for event in events:
            key = context.asset_key_for_output(event.output_name) if isinstance(event, dg.Output) else None
            node = nodes.get(key.to_user_string()) if key is not None else None
            if node is not None:
                by_day = built.rows_per_day(relation(node), window_column(node), days[0], days[-1])
                rows = {day.isoformat(): by_day.get(day, 0) for day in days}
                for day, count in rows.items():
                    context.add_asset_metadata({"dagster/row_count": count}, asset_key=key, partition_key=day)
                event = event.with_metadata({**event.metadata, "rows_by_day": dg.MetadataValue.json(rows)})
            counted.append(event)
    return counted


def _serve_window(context: dg.AssetExecutionContext, warehouse: Warehouse, days: list[date]) -> None:
    """On Spark: the window of the exports and the day's figures, copied into the DuckDB file that
    deliveries and verdicts read (warehouses/serving.py). The run fails here, before any check or
    delivery, if the copy cannot be made."""
    with read_back(warehouse) as built, warehouse.connect() as conn:
        copied = serving.copy_window(built, conn, served_models(), days[0], days[-1])
    context.log.info(f"served copy of {days[0]}..{days[-1]}: {copied}")


def _raise_if_a_test_could_not_run(invocation: DbtCliInvocation) -> None:
    """A test that fails judges its days; a test that errors (bad SQL, a missing relation) judges nothing."""
    errored = [r["unique_id"] for r in invocation.get_artifact("run_results.json")["results"] if r["status"] == "error"]
    if errored:
        raise dg.Failure(description=f"dbt test(s) could not run: {', '.join(errored)}; see the dbt log above")
