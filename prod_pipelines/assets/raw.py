"""`raw/<feed>`: each landing partition validated against its contract and loaded into DuckDB.

One asset per feed, daily-partitioned; a run over a range loads its days one transaction each,
so a re-run replaces exactly the partitions it covers.
"""


import time
from datetime import timedelta

import dagster as dg

from prod_pipelines.assets.raw_checks import contract_result, raw_check_specs, row_count_result
from prod_pipelines.landing.contracts import CONTRACTS, Contract
from prod_pipelines.landing.loader import PartitionLoad, ensure_tables, load_partitions
from prod_pipelines.landing.zone import LandingError
from prod_pipelines.resources import LandingZone
from prod_pipelines.warehouse import Warehouse

RAW_OWNER = "team:data-platform"
DESCRIPTIONS = {
    "stores": "One row per store in each published stores snapshot (partition = snapshot day).",
    "products": "One row per item in each published products snapshot (partition = snapshot day).",
    "orders": "One row per order line, partitioned by order date.",
    "inventory": "One row per store and item in each daily inventory snapshot.",
}


def build_raw_asset(contract: Contract, partitions_def: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    key = dg.AssetKey(["raw", contract.feed])

    @dg.asset(
        key=key,
        group_name="raw",
        description=DESCRIPTIONS[contract.feed] + " Rows breaking the contract go to raw.rejects.",
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        owners=[RAW_OWNER],
        kinds={"duckdb", "python"},
        tags={"tier": "bronze"},
        pool="warehouse",
        check_specs=raw_check_specs(contract, key),
        metadata={"dagster/table_name": f"raw.{contract.feed}", "dagster/column_schema": _column_schema(contract)},
    )
    def raw_feed(context: dg.AssetExecutionContext, landing: LandingZone, warehouse: Warehouse) -> dg.MaterializeResult:
        window = context.partition_time_window
        days = [window.start.date() + timedelta(days=i) for i in range((window.end - window.start).days)]
        started = time.perf_counter()
        loads: list[PartitionLoad] = []
        with warehouse.connect() as conn:
            ensure_tables(conn, contract)
            try:
                for load in load_partitions(conn, contract, landing.path, days):
                    loads.append(load)
                    _log_progress(context, contract.feed, days, len(loads), started)
            except LandingError as error:
                raise dg.Failure(description=str(error), metadata={
                    "feed": contract.feed, "location": error.location, "problem": error.problem,
                    "partition": days[len(loads)].isoformat(), "partitions_loaded_before_stop": len(loads)}) from None
            checks = [contract_result(conn, contract, loads), row_count_result(conn, contract, loads)]
        context.log.info(f"raw/{contract.feed}: loaded {len(loads)} partition(s) {days[0]}..{days[-1]}")
        return dg.MaterializeResult(metadata=_load_metadata(loads, time.perf_counter() - started), check_results=checks)

    return raw_feed


def _log_progress(context: dg.AssetExecutionContext, feed: str, days: list, done: int, started: float) -> None:
    """Partitions done / total, elapsed and an estimate, about ten times per range."""
    if done != len(days) and done % max(1, len(days) // 10):
        return
    elapsed = time.perf_counter() - started
    left = elapsed / done * (len(days) - done)
    context.log.info(f"raw/{feed} {days[0]}..{days[-1]}: {done}/{len(days)} partitions, "
                     f"{elapsed:.1f}s elapsed, ~{left:.0f}s left")


def _column_schema(contract: Contract) -> dg.TableSchema:
    return dg.TableSchema(columns=[dg.TableColumn("dt", "date", description="landing partition")] + [
        dg.TableColumn(c.name, c.kind, constraints=dg.TableColumnConstraints(nullable=c.nullable))
        for c in contract.columns])


def _load_metadata(loads: list[PartitionLoad], seconds: float) -> dict:
    read = sum(x.rows_read for x in loads)
    rows = [f"| {x.day} | {'yes' if x.arrived else 'no'} | {len(x.files)} | {x.rows_read} | {x.rows_accepted} | {x.rows_rejected} |"
            for x in loads[:100]]
    return {
        "partitions": len(loads),
        "rows_read": read,
        "rows_accepted": sum(x.rows_accepted for x in loads),
        "rows_rejected": sum(x.rows_rejected for x in loads),
        "dagster/row_count": sum(x.rows_accepted for x in loads),
        "source_files": dg.MetadataValue.json(sorted(f for x in loads for f in x.files)[:500]),
        "load_seconds": round(seconds, 3),
        "per_partition": dg.MetadataValue.md(
            "| dt | arrived | files | read | accepted | rejected |\n|---|---|---|---|---|---|\n" + "\n".join(rows)),
    }


def build_raw_assets(partitions_def: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    return [build_raw_asset(contract, partitions_def) for contract in CONTRACTS.values()]
