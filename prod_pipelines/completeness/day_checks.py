"""Check results judged per as-of day.

Grain of `audit.day_checks`: one row per asset, check and day: the newest result of that check for
that day, with the numbers behind it. The same result reaches Dagster as a partitioned asset check
evaluation, so the UI's partition view answers "was D good, and why not"; the day verdict reads the
table, so the answer does not depend on which run (or which engine) judged the day.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import dagster as dg
import duckdb
import pyarrow as pa

from prod_pipelines.compat import AssetCheckEvaluationTargetMaterializationData

DDL = ("create table if not exists audit.day_checks (asset varchar not null, check_name varchar not null, "
       "dt date not null, passed boolean not null, severity varchar not null, summary varchar, "
       "metadata json, run_id varchar, judged_at timestamp not null)")


@dataclass(frozen=True)
class DayCheck:
    """One check's result for one as-of day."""

    asset: dg.AssetKey
    check_name: str
    day: date
    passed: bool
    severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR
    summary: str = ""  # one line a person acts on: observed value against its bound
    metadata: dict = field(default_factory=dict)

    @property
    def blocks_day(self) -> bool:
        return not self.passed and self.severity == dg.AssetCheckSeverity.ERROR

    def evaluation(self,
                   target: AssetCheckEvaluationTargetMaterializationData | None = None) -> dg.AssetCheckEvaluation:
        return dg.AssetCheckEvaluation(
            asset_key=self.asset, check_name=self.check_name, passed=self.passed, severity=self.severity,
            partition=self.day.isoformat(), description=self.summary or None, target_materialization_data=target,
            metadata={**self.metadata, **({"summary": self.summary} if self.summary else {})})


def ensure_table(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute("create schema if not exists audit")
    conn.execute(DDL)


def record(conn: duckdb.DuckDBPyConnection, checks: Iterable[DayCheck], run_id: str) -> None:
    """Replaces the stored result of each (asset, check, day) with the new one, in one transaction.

    Set-based (one delete joined to the new rows, one insert): a 90-day range of every dbt test is
    thousands of rows, and a statement per row took seconds.
    """
    checks = list(checks)
    if not checks:
        return
    ensure_table(conn)
    now = datetime.now(UTC).replace(tzinfo=None)  # the clock raw.partition_loads uses
    new_rows = pa.table({
        "asset": [c.asset.to_user_string() for c in checks], "check_name": [c.check_name for c in checks],
        "dt": [c.day for c in checks], "passed": [c.passed for c in checks],
        "severity": [c.severity.value for c in checks], "summary": [c.summary for c in checks],
        "metadata": [json.dumps(c.metadata, default=str) for c in checks], "run_id": [run_id] * len(checks),
        "judged_at": [now] * len(checks)})
    conn.register("new_day_checks", new_rows)
    conn.execute("begin transaction")
    try:
        conn.execute("delete from audit.day_checks as d using new_day_checks as n "
                     "where d.asset = n.asset and d.check_name = n.check_name and d.dt = n.dt")
        conn.execute("insert into audit.day_checks select asset, check_name, dt, passed, severity, summary, "
                     "metadata::json, run_id, judged_at from new_day_checks")
        conn.execute("commit")
    except Exception:
        conn.execute("rollback")
        raise
    finally:
        conn.unregister("new_day_checks")


def evaluations(context: dg.AssetExecutionContext,
                checks: list[DayCheck]) -> Iterator[dg.AssetCheckEvaluation | dg.Output]:
    """The per-day evaluations for Dagster, then the (empty) outputs Dagster expects of each selected check.

    Call it after the materializations: each evaluation names the materialization of its day that it
    judged, which is what makes the UI count it as that partition's current result.
    """
    targets = _latest_materializations(context.instance, checks)
    yield from (c.evaluation(targets.get((c.asset, c.day.isoformat()))) for c in checks)
    judged = {dg.AssetCheckKey(c.asset, c.check_name) for c in checks}
    for output_name, spec in context.assets_def.check_specs_by_output_name.items():
        if spec.key in context.selected_asset_check_keys and spec.key in judged:
            yield dg.Output(None, output_name=output_name)


def _latest_materializations(instance: dg.DagsterInstance, checks: list[DayCheck]
                             ) -> dict[tuple[dg.AssetKey, str], AssetCheckEvaluationTargetMaterializationData]:
    """The newest materialization of each checked (asset, day): one query per asset."""
    days_by_asset: dict[dg.AssetKey, set[str]] = {}
    for c in checks:
        days_by_asset.setdefault(c.asset, set()).add(c.day.isoformat())
    found = {}
    for asset, days in days_by_asset.items():
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=asset, asset_partitions=sorted(days)), limit=len(days) * 2).records
        for record in records:  # newest first
            found.setdefault((asset, record.partition_key), AssetCheckEvaluationTargetMaterializationData(
                run_id=record.run_id, storage_id=record.storage_id, timestamp=record.timestamp))
    return found
