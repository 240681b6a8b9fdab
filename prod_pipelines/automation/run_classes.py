"""Which run goes first and how long any run may take: the daily run, then late data, then backfills.

The instance starts one run at a time (DuckDB has one writer), so the queue's order is what decides
whether consumers get yesterday by 09:00 UTC while a long backfill is waiting. The QueuedRunCoordinator
starts the queued run with the highest `dagster/priority` first (equal priorities: oldest first), and
run monitoring fails a run still going after its `dagster/max_runtime` seconds, freeing the queue.

A backfill is priority 0, Dagster's default, so any run nobody classed (a UI backfill, a person's
one-off materialization) waits behind the daily and late-data runs too. The limits leave a wide
margin over measured times (docs/benchmarks.md: one SF 1 day in ~30 s, 90 SF 10 days in ~11 min);
runs without the tag stop at the instance's `run_monitoring.max_runtime_seconds` (dagster.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

PRIORITY_TAG = "dagster/priority"
MAX_RUNTIME_TAG = "dagster/max_runtime"
RUN_CLASS_TAG = "prod_pipelines/run_class"


@dataclass(frozen=True)
class RunClass:
    name: str
    priority: int  # higher starts first
    max_runtime: timedelta

    def tags(self) -> dict[str, str]:
        return {RUN_CLASS_TAG: self.name, PRIORITY_TAG: str(self.priority),
                MAX_RUNTIME_TAG: str(int(self.max_runtime.total_seconds()))}


DAILY = RunClass("daily", priority=20, max_runtime=timedelta(hours=1))
LATE_DATA = RunClass("late_data", priority=10, max_runtime=timedelta(hours=2))
BACKFILL = RunClass("backfill", priority=0, max_runtime=timedelta(hours=6))
