"""Contract validation throughput: one day of one feed through `load_partition`, part by part.

`load_partition` reads every file as text (`read_as_text`), validates the union against the contract
(`validate_partition`: typing in DuckDB, rules in pandera on polars) and replaces the partition in
`raw.<feed>`. Timing the first two on their own, then the whole call, tells what validation costs
against the load as a whole. Measured in this process, on a scratch warehouse.
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
from prod_pipelines.landing.loader import ensure_tables, load_partition
from prod_pipelines.landing.validation import validate_partition
from prod_pipelines.landing.zone import partition_files, read_as_text


@dataclass(frozen=True)
class ContractRate:
    feed: str
    day: date
    scale: float
    rows: int
    read: Stats  # read_as_text of every file
    validate: Stats  # validate_partition
    load: Stats  # load_partition as a whole (read + validate + replace in raw.<feed>)

    def rows_per_second(self, stats: Stats) -> float:
        return self.rows / stats.median if stats.median else 0.0


def measure_contract_rate(landing_dir: Path, feed: str, day: date, scale: float, repeat: int,
                          scratch: Path) -> ContractRate:
    contract = CONTRACTS[feed]
    files = partition_files(landing_dir, feed, day) or []
    reads, validations, loads, rows = [], [], [], 0
    scratch.mkdir(parents=True, exist_ok=True)
    warehouse = scratch / "contract-rate.duckdb"
    warehouse.unlink(missing_ok=True)
    with duckdb.connect(str(warehouse)) as conn:
        ensure_tables(conn, contract)
        load_partition(conn, contract, landing_dir, day)  # untimed: first-call costs (imports, caches)
        for _ in range(repeat):
            started = time.perf_counter()
            texts = {str(p.relative_to(landing_dir)): read_as_text(p, feed) for p in files}
            read_done = time.perf_counter()
            validated = validate_partition(contract, day, texts)
            reads.append(read_done - started)
            validations.append(time.perf_counter() - read_done)
            rows = validated.rows_read
            started = time.perf_counter()
            load_partition(conn, contract, landing_dir, day)
            loads.append(time.perf_counter() - started)
    shutil.rmtree(scratch, ignore_errors=True)
    return ContractRate(feed, day, scale, rows, Stats.of(reads), Stats.of(validations), Stats.of(loads))
