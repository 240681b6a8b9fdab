"""`raw/<feed>`: each landing partition validated against its contract and loaded into DuckDB.

One asset per feed, daily-partitioned; a run over a range validates and loads its days in one
set-based pass and one transaction, so a re-run replaces exactly the partitions it covers. Each day
carries its own row counts and its own check results, whatever the range it was loaded in.
On the Spark engine the days just loaded are also published to the Parquet lake (landing/lake.py)
and the feed's Spark table is told of them.
"""

from pathlib import Path

import dagster as dg

from prod_pipelines.assets.raw_checks import contract_results, raw_check_specs, row_count_results
from prod_pipelines.catalog.columns import raw_table_schema
from prod_pipelines.completeness import day_checks
from prod_pipelines.dbt import project
from prod_pipelines.landing import lake, suppressions
from prod_pipelines.landing.contracts import CONTRACTS, Contract
from prod_pipelines.landing.loader import PartitionLoad, ensure_tables, load_range
from prod_pipelines.partitions import days_of
from prod_pipelines.resources import LandingZone
from prod_pipelines.warehouse import Warehouse
from prod_pipelines.warehouses.spark import refresh_lake_tables


def build_raw_asset(contract: Contract, partitions_def: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    """Description and owner come from the dbt source `raw.<feed>` that the staging models read."""
    key = dg.AssetKey(["raw", contract.feed])
    source = project.raw_source(contract.feed)

    @dg.asset(
        key=key,
        group_name="raw",
        description=source["description"] + " Rows breaking the contract go to raw.rejects.",
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        owners=[source["meta"]["owner"]],
        kinds={"duckdb", "python"},
        tags={"tier": "bronze"},
        pool="warehouse",
        check_specs=raw_check_specs(contract, key, partitions_def),
        metadata={"dagster/table_name": f"raw.{contract.feed}", "dagster/column_schema": raw_table_schema(contract)},
    )
    def raw_feed(context: dg.AssetExecutionContext, landing: LandingZone, warehouse: Warehouse):
        window = context.partition_time_window
        days = days_of(window)
        with warehouse.connect() as conn:
            ensure_tables(conn, contract)
            result = load_range(conn, contract, landing.path, days)
            loads, stop = result.loads, result.stop  # the days before a breach stay loaded, and are judged below
            if warehouse.on_spark:  # Spark reads raw from the Parquet lake: publish the days just committed
                lake.publish(conn, contract.feed, [load.day for load in loads], Path(warehouse.lake_dir))
            checks = (contract_results(conn, key, contract, loads) + row_count_results(conn, key, contract, loads)
                      if loads else [])
            day_checks.record(conn, checks, context.run.run_id)
            # Spec §6: what the consumers' suppressions hold back as of the range's last day, for review.
            review = suppressions.review(conn, days[-1]) if contract.feed == "suppressions" else None
        if warehouse.on_spark and loads:
            refresh_lake_tables(warehouse, (contract.feed,))
        if stop is not None:
            raise dg.Failure(description=str(stop), metadata={
                "feed": contract.feed, "location": stop.location, "problem": stop.problem,
                "partition": days[len(loads)].isoformat(), "partitions_loaded_before_stop": len(loads)})
        context.log.info(f"raw/{contract.feed}: loaded {len(loads)} partition(s) {days[0]}..{days[-1]} "
                         f"({', '.join(f'{phase} {s:.2f}s' for phase, s in result.seconds.items())})")
        for load in loads:  # each day's own numbers on its own partition, not the range's totals
            context.add_asset_metadata(_day_metadata(load), partition_key=load.day.isoformat())
        metadata = {f"{phase}_seconds": s for phase, s in result.seconds.items()}
        if review is not None:
            metadata["suppressions_review"] = dg.MetadataValue.json(review)
        yield dg.MaterializeResult(metadata=metadata)
        yield from day_checks.evaluations(context, checks)

    return raw_feed


def _day_metadata(load: PartitionLoad) -> dict:
    return {
        "arrived": load.arrived,
        "rows_read": load.rows_read,
        "rows_accepted": load.rows_accepted,
        "rows_rejected": load.rows_rejected,
        "dagster/row_count": load.rows_accepted,
        "source_files": dg.MetadataValue.json(sorted(load.files)),
    }


def build_raw_assets(partitions_def: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    return [build_raw_asset(contract, partitions_def) for contract in CONTRACTS.values()]
