"""`completeness/day_verdicts`: one verdict per as-of day, read by every delivery (completeness/verdict.py).

Daily-partitioned like the layers above it and run after them, so a run over any range ends by
judging exactly its days. Its per-day check `day_complete` shows in the UI's partition view why a
day is held back; it warns rather than errs because the checks it summarises have already erred.
"""

from collections.abc import Iterable

import dagster as dg

from prod_pipelines.completeness import day_checks, verdict
from prod_pipelines.dbt import project
from prod_pipelines.partitions import days_of
from prod_pipelines.warehouse import Warehouse

KEY = dg.AssetKey(["completeness", "day_verdicts"])
COLUMNS = dg.TableSchema(columns=[
    dg.TableColumn("as_of_date", "date", description="The as-of day D (one row per day)."),
    dg.TableColumn("complete", "boolean", description="True when every consumer may receive D."),
    dg.TableColumn("reasons", "varchar[]", description="Why D is held back: each failed check or missing feed."),
    dg.TableColumn("decided_at", "timestamp", description="When D was judged (UTC); a later raw reload voids it."),
    dg.TableColumn("run_id", "varchar", description="The Dagster run that judged D."),
])


def build_verdict_asset(partitions_def: dg.PartitionsDefinition, upstream: Iterable[dg.AssetKey],
                        required_checks: Iterable[dg.AssetCheckKey]) -> dg.AssetsDefinition:
    required = sorted(required_checks, key=lambda k: k.to_user_string())

    @dg.asset(
        key=KEY,
        group_name="completeness",
        deps=sorted(upstream, key=lambda k: k.to_user_string()),
        description="One row per as-of day: complete (every feed arrived and loaded, no ERROR check failed for "
                    "the day, a non-empty result unless no store is a candidate) or held back with the reasons. "
                    "Every delivery reads this verdict and nothing else.",
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        owners=[project.platform_owner()],
        kinds={"duckdb", "python"},
        tags={"tier": "gold"},
        pool="warehouse",
        check_specs=[dg.AssetCheckSpec(
            "day_complete", asset=KEY, partitions_def=partitions_def,
            description="The day is complete; when not, the reasons name each failed check or missing feed.")],
        metadata={"dagster/table_name": "audit.day_verdicts", "dagster/column_schema": COLUMNS,
                  "required_checks": [k.to_user_string() for k in required]},
    )
    def day_verdicts(context: dg.AssetExecutionContext, warehouse: Warehouse):
        with warehouse.connect() as conn:
            verdicts = verdict.decide(conn, days_of(context.partition_time_window), required)
            verdict.record(conn, verdicts, context.run.run_id)
        for v in verdicts:
            context.add_asset_metadata({"complete": v.complete, "reasons": dg.MetadataValue.json(list(v.reasons))},
                                       partition_key=v.day.isoformat())
        held = [v for v in verdicts if not v.complete]
        if held:
            context.log.warning("held back for every consumer: "
                                + " | ".join(f"{v.day}: {v.reason_text}" for v in held))
        yield dg.MaterializeResult(metadata={"days_complete": len(verdicts) - len(held), "days_held_back": len(held)})
        yield from day_checks.evaluations(context, [
            day_checks.DayCheck(KEY, "day_complete", v.day, v.complete, dg.AssetCheckSeverity.WARN,
                                summary=v.reason_text or "complete", metadata={"reasons": list(v.reasons)})
            for v in verdicts])

    return day_verdicts
