"""The checks each raw asset reports, one result per loaded day (partitioned asset checks).

- `contract` (WARN): were any of D's rows rejected? Metadata: counts per rule and a sample of rejects.
- `row_count_vs_history` (feeds with a normal volume, not suppressions): are D's rows within bounds
  of the same weekday's median? A drop below the lower bound is ERROR for snapshots (a broken
  delivery, spec §4: D is held back for every consumer) and WARN for orders (demand varies); growth
  above the upper bound is always WARN. Metadata: observed, median, bounds.

Neither check stops the run: the day verdict holds back exactly the days that failed an ERROR
check, so one bad day of a range never blocks the good ones.
"""

import dagster as dg
import duckdb

from prod_pipelines.completeness.day_checks import DayCheck
from prod_pipelines.landing.contracts import Contract
from prod_pipelines.landing.history import CountVerdict, judge_row_counts
from prod_pipelines.landing.loader import PartitionLoad

SAMPLE = 5
REJECT_COLUMNS = ("dt", "file", "row_number", "rule", "value")


def raw_check_specs(contract: Contract, key: dg.AssetKey,
                    partitions_def: dg.PartitionsDefinition) -> list[dg.AssetCheckSpec]:
    specs = [dg.AssetCheckSpec("contract", asset=key, partitions_def=partitions_def,
                               description="No landing row of the day broke the contract "
                                           "(rejects are kept in raw.rejects).")]
    if contract.count_bounds is None:  # occasional requests: no normal volume to judge a day against
        return specs
    bounds = (f"{contract.count_bounds.low}x-{contract.count_bounds.high}x of the same weekday's median "
              "over the previous weeks")
    effect = "a drop holds the day back for every consumer" if contract.count_blocks else "warns only: demand varies"
    return [*specs, dg.AssetCheckSpec("row_count_vs_history", asset=key, partitions_def=partitions_def,
                                      description=f"The day's rows within {bounds}; {effect}.")]


def contract_results(conn: duckdb.DuckDBPyConnection, key: dg.AssetKey, contract: Contract,
                     loads: list[PartitionLoad]) -> list[DayCheck]:
    days = [x.day for x in loads]
    by_rule: dict = {}
    for dt, rule, n in conn.execute(
            "select dt, rule, count(*) from raw.rejects where feed = ? and dt between ? and ? "
            "group by all order by 3 desc",
            [contract.feed, min(days), max(days)]).fetchall():
        by_rule.setdefault(dt, {})[rule] = n
    samples: dict = {}
    for row in conn.execute(
            "select dt, file, row_number, rule, value from raw.rejects where feed = ? and dt between ? and ? "
            "qualify row_number() over (partition by dt order by file, row_number) <= ? order by dt, file, row_number",
            [contract.feed, min(days), max(days), SAMPLE]).fetchall():
        samples.setdefault(row[0], []).append(dict(zip(REJECT_COLUMNS, (str(row[0]), *row[1:]), strict=True)))
    return [DayCheck(
        key, "contract", x.day, passed=x.rows_rejected == 0, severity=dg.AssetCheckSeverity.WARN,
        summary=(f"{x.rows_rejected} of {x.rows_read} rows rejected" if x.arrived else "not published (optional)"),
        metadata={"rows_read": x.rows_read, "rows_rejected": x.rows_rejected,
                  "rejects_by_rule": by_rule.get(x.day, {}), "sample": samples.get(x.day, [])})
        for x in loads]


def row_count_results(conn: duckdb.DuckDBPyConnection, key: dg.AssetKey, contract: Contract,
                      loads: list[PartitionLoad]) -> list[DayCheck]:
    if contract.count_bounds is None:
        return []
    judged = [x.day for x in loads if x.arrived]
    verdicts = ({v.day: v for v in judge_row_counts(conn, contract.feed, judged, contract.count_bounds)}
                if judged else {})
    results = []
    for x in loads:
        v = verdicts.get(x.day)
        if v is None:
            results.append(DayCheck(key, "row_count_vs_history", x.day, passed=True,
                                    severity=dg.AssetCheckSeverity.WARN, summary="not published (optional)"))
            continue
        serious = contract.count_blocks and v.dropped
        results.append(DayCheck(key, "row_count_vs_history", x.day, passed=v.ok,
                                severity=dg.AssetCheckSeverity.ERROR if serious else dg.AssetCheckSeverity.WARN,
                                summary=_count_summary(v), metadata=_count_metadata(v)))
    return results


def _count_summary(v: CountVerdict) -> str:
    if v.median is None:
        return f"{v.rows} rows (too little history to judge)"
    return f"{v.rows} rows, bounds {v.low:.1f}..{v.high:.1f} (same-weekday median {v.median:g})"


def _count_metadata(v: CountVerdict) -> dict:
    return {"observed_rows": v.rows,
            "same_weekday_median": v.median if v.median is not None else "n/a (too little history)",
            "lower_bound": round(v.low, 1) if v.low is not None else "n/a",
            "upper_bound": round(v.high, 1) if v.high is not None else "n/a"}
