"""Contract validation throughput: one day of one feed, by the pipeline and by `prod-pipelines validate`.

The pipeline's `load_range` reads every file into the warehouse, judges every rule as SQL and writes
the day in one transaction; its phases are timed on their own. The producers' form (pandera on
polars, `validate`) is timed on the same files: it is not on the pipeline's path, but a producer
runs it on every delivery. Measured in this process, on a scratch warehouse.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from prod_pipelines.bench.measure import Stats
from prod_pipelines.landing.contracts import CONTRACTS
from prod_pipelines.landing.loader import ensure_tables, load_range
from prod_pipelines.landing.validation import validate_partition
from prod_pipelines.landing.zone import partition_files, read_as_text

PHASES = ("read", "rules", "write")


@dataclass(frozen=True)
class ContractRate:
    feed: str
    day: date
    scale: float
    rows: int
    phases: dict[str, Stats]  # the pipeline's load, per phase (PHASES)
    load: Stats  # the pipeline's load as a whole
    public: Stats  # read_as_text + validate_partition (pandera), what `prod-pipelines validate` does

    def rows_per_second(self, stats: Stats) -> float:
        return self.rows / stats.median if stats.median else 0.0


def measure_contract_rate(landing_dir: Path, feed: str, day: date, scale: float, repeat: int,
                          scratch: Path) -> ContractRate:
    contract = CONTRACTS[feed]
    files = partition_files(landing_dir, feed, day) or []
    phases: dict[str, list[float]] = {p: [] for p in PHASES}
    loads, public, rows = [], [], 0
    scratch.mkdir(parents=True, exist_ok=True)
    warehouse = scratch / "contract-rate.duckdb"
    warehouse.unlink(missing_ok=True)
    with duckdb.connect(str(warehouse)) as conn:
        ensure_tables(conn, contract)
        load_range(conn, contract, landing_dir, [day])  # untimed: first-call costs (imports, caches)
        for _ in range(repeat):
            started = time.perf_counter()
            result = load_range(conn, contract, landing_dir, [day])
            loads.append(time.perf_counter() - started)
            for phase in PHASES:
                phases[phase].append(result.seconds[phase])
            rows = result.loads[0].rows_read
            started = time.perf_counter()
            validate_partition(contract, day, {str(p.relative_to(landing_dir)): read_as_text(p, feed) for p in files})
            public.append(time.perf_counter() - started)
    shutil.rmtree(scratch, ignore_errors=True)
    return ContractRate(feed, day, scale, rows, {p: Stats.of(v) for p, v in phases.items()}, Stats.of(loads),
                        Stats.of(public))
