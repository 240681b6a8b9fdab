"""The checks each raw asset reports about the partitions it just loaded.

- `contract` (WARN): were any rows rejected? Metadata: counts per rule and a sample of rejects.
- `row_count_vs_history`: is each partition's row count within bounds of the same weekday's median?
  A drop below the lower bound is ERROR and blocking for snapshots (a broken delivery, spec §4) and
  WARN for orders (demand varies); growth above the upper bound is always WARN. Metadata: observed,
  median, bounds.
"""

import dagster as dg
import duckdb

from prod_pipelines.landing.contracts import Contract
from prod_pipelines.landing.history import judge_row_counts
from prod_pipelines.landing.loader import PartitionLoad

SAMPLE = 5


def raw_check_specs(contract: Contract, key: dg.AssetKey) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec("contract", asset=key, description="No landing row broke the contract (rejects are kept in raw.rejects)."),
        dg.AssetCheckSpec("row_count_vs_history", asset=key, blocking=contract.count_blocks,
                          description=f"Rows per partition within {contract.count_bounds.low}x-{contract.count_bounds.high}x "
                                      "of the same weekday's median over the previous weeks."),
    ]


def contract_result(conn: duckdb.DuckDBPyConnection, contract: Contract, loads: list[PartitionLoad]) -> dg.AssetCheckResult:
    days = [x.day for x in loads]
    by_rule = conn.execute(
        "select rule, count(*) from raw.rejects where feed = ? and dt between ? and ? group by rule order by 2 desc",
        [contract.feed, min(days), max(days)]).fetchall()
    sample = conn.execute(
        "select dt::varchar, file, row_number, rule, value from raw.rejects where feed = ? and dt between ? and ? "
        f"order by dt, file, row_number limit {SAMPLE}", [contract.feed, min(days), max(days)]).fetchall()
    rejected = sum(x.rows_rejected for x in loads)
    return dg.AssetCheckResult(
        check_name="contract",
        passed=rejected == 0,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "rows_read": sum(x.rows_read for x in loads),
            "rows_rejected": rejected,
            "rejects_by_rule": dg.MetadataValue.json({rule: n for rule, n in by_rule}),
            "sample": dg.MetadataValue.json([dict(zip(("dt", "file", "row_number", "rule", "value"), r)) for r in sample]),
        },
    )


def row_count_result(conn: duckdb.DuckDBPyConnection, contract: Contract, loads: list[PartitionLoad]) -> dg.AssetCheckResult:
    judged = [x.day for x in loads if x.arrived]
    verdicts = judge_row_counts(conn, contract.feed, judged, contract.count_bounds) if judged else []
    outliers = sorted((v for v in verdicts if not v.ok), key=lambda v: not v.dropped)  # drops first
    worst = outliers[0] if outliers else (verdicts[-1] if verdicts else None)
    metadata = {"partitions_judged": len(verdicts), "partitions_out_of_bounds": len(outliers)}
    if worst is not None:
        metadata |= {"partition": worst.day.isoformat(), "observed_rows": worst.rows,
                     "same_weekday_median": worst.median if worst.median is not None else "n/a (too little history)",
                     "lower_bound": round(worst.low, 1) if worst.low is not None else "n/a",
                     "upper_bound": round(worst.high, 1) if worst.high is not None else "n/a"}
    if outliers:
        metadata["out_of_bounds"] = dg.MetadataValue.json(
            [{"dt": v.day.isoformat(), "rows": v.rows, "median": v.median} for v in outliers[:20]])
    serious = contract.count_blocks and any(v.dropped for v in outliers)
    return dg.AssetCheckResult(
        check_name="row_count_vs_history",
        passed=not outliers,
        severity=dg.AssetCheckSeverity.ERROR if serious else dg.AssetCheckSeverity.WARN,
        metadata=metadata,
    )
