"""The bench at one scale factor: one day, a 90-day backfill, per-partition runs, bare dbt and the floor.

Range: 90 as-of days from FIRST_DAY; "the day" is the last one, measured on a data dir that holds
the 89 before it, as the daily schedule finds it. Each figure is `repeat` runs, each on its own copy
of the data dir (the landing zone is hard-linked: the pipeline never writes there).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import duckdb

from prod_pipelines.bench import runs
from prod_pipelines.bench.checksum import MART, Checksum, require_equal
from prod_pipelines.bench.figures import Extrapolation, Figure
from prod_pipelines.bench.floor import FLOOR_TABLE
from prod_pipelines.bench.seeding import seeded_landing
from prod_pipelines.dbt.project import DBT_PROJECT, ensure_manifest
from prod_pipelines.landing.contracts import FEEDS

FIRST_DAY = date(2025, 1, 1)
DAYS = 90


@dataclass
class ScaleResult:
    scale: float
    start: date
    end: date
    figures: dict[str, Figure] = field(default_factory=dict)
    per_partition: Extrapolation | None = None
    checksums: dict[str, dict[str, Checksum]] = field(default_factory=dict)
    reparsed_runs: int = 0


class Bench:
    def __init__(self, work_dir: Path, scale: float, repeat: int, samples: int, keep: bool = False):
        self.scale, self.repeat, self.samples, self.keep = scale, repeat, samples, keep
        self.start, self.end = FIRST_DAY, FIRST_DAY + timedelta(days=DAYS - 1)
        self.root = work_dir / f"sf{scale:g}"
        self.logs = self.root / "logs"
        self.landing, self.seeded_rows = seeded_landing(work_dir, scale, self.start, self.end)
        self.result = ScaleResult(scale, self.start, self.end)

    def run(self, backfill_only: bool = False) -> ScaleResult:
        """Every figure, or (`backfill_only`, the SF 10 check) the 90-day backfill and its floor alone."""
        self._floor(backfill_only)
        self._single_run_backfill()
        if not backfill_only:
            self._bare_backfill()
            self._day_and_per_partition()
        if not self.keep:
            shutil.rmtree(self.root / "runs", ignore_errors=True)
        return self.result

    def _floor(self, backfill_only: bool) -> None:
        out = self.root / "runs" / "floor"
        out.mkdir(parents=True, exist_ok=True)
        self._figure("floor_90", sum(self.seeded_rows.values()), lambda i: runs.floor(
            self.landing, self.start, self.end, out / "floor-90.duckdb", self.logs / f"floor-90-{i}"))
        if backfill_only:
            return
        self._figure("floor_day", 0, lambda i: runs.floor(
            self.landing, self.end, self.end, out / "floor-day.duckdb", self.logs / f"floor-day-{i}"))

    def _single_run_backfill(self) -> None:
        def one(i: int) -> runs.Run:
            data_dir = runs.fresh_data_dir(self.root / "runs" / "dagster-90", self.landing)
            run = self._dagster(data_dir, self.start, self.end, f"dagster-90-{i}")
            self._same_result("90 days", {"Dagster": data_dir}, self.start, self.end)
            return run
        self._figure("dagster_90", sum(self.seeded_rows.values()), one)

    def _bare_backfill(self) -> None:
        def one(i: int) -> runs.Run:
            data_dir = runs.fresh_data_dir(self.root / "runs" / "bare-90", self.landing)
            run = self._bare(data_dir, self.start, self.end, f"bare-90-{i}")
            self._same_result("90 days", {"bare dbt": data_dir}, self.start, self.end)
            return run
        self._figure("bare_90", sum(self.seeded_rows.values()), one)

    def _day_and_per_partition(self) -> None:
        """History = a single run over the first 90-k days, then k-1 daily runs (per-partition samples
        late in the range); on copies of that, the day itself (Dagster and bare dbt). Then k daily runs
        from an empty warehouse: per-partition samples early in the range."""
        k, end = self.samples, self.end
        history = runs.fresh_data_dir(self.root / "runs" / "history", self.landing)
        first_late = end - timedelta(days=k - 1)
        self._dagster(history, self.start, first_late - timedelta(days=1), "history-setup")
        late = [self._position_sample(history, first_late + timedelta(days=j), "late") for j in range(k - 1)]
        self._same_result("per-partition, late days", {"Dagster": history}, first_late, end - timedelta(days=1))

        def dagster_day(i: int) -> runs.Run:
            data_dir = runs.fresh_data_dir(self.root / "runs" / "dagster-day", self.landing, like=history)
            run = self._dagster(data_dir, end, end, f"dagster-day-{i}")
            self._same_result("the day", {"Dagster": data_dir}, end, end, with_floor_day=True)
            return run

        def bare_day(i: int) -> runs.Run:
            data_dir = runs.fresh_data_dir(self.root / "runs" / "bare-day", self.landing, like=history)
            run = self._bare(data_dir, end, end, f"bare-day-{i}")
            self._same_result("the day", {"bare dbt": data_dir}, end, end)
            return run

        self._figure("dagster_day", 0, dagster_day)
        self._figure("bare_day", 0, bare_day)
        day_rows = _rows_of_day(self.root / "runs" / "dagster-day" / "warehouse.duckdb", end)
        for name in ("dagster_day", "bare_day", "floor_day"):
            self.result.figures[name].input_rows = day_rows
        early_dir = runs.fresh_data_dir(self.root / "runs" / "early", self.landing)
        early = [self._position_sample(early_dir, self.start + timedelta(days=j), "early") for j in range(k)]
        self._same_result("per-partition, early days", {"Dagster": early_dir}, self.start,
                          self.start + timedelta(days=k - 1))
        positions = [*early, *late, *((DAYS, r.seconds) for r in self.result.figures["dagster_day"].runs)]
        self.result.per_partition = Extrapolation(tuple(positions), DAYS)

    def _position_sample(self, data_dir: Path, day: date, label: str) -> tuple[int, float]:
        run = self._dagster(data_dir, day, day, f"per-partition-{label}-{day}")
        return (day - self.start).days + 1, run.seconds

    def _figure(self, name: str, input_rows: int, one_run) -> None:
        figure = self.result.figures.setdefault(name, Figure(input_rows=input_rows))
        for i in range(self.repeat):
            figure.runs.append(one_run(i))
            print(f"  SF {self.scale:g} {name} run {i + 1}/{self.repeat}: {figure.runs[-1].seconds:.1f} s", flush=True)

    def _dagster(self, data_dir: Path, start: date, end: date, log: str) -> runs.Run:
        with _ParseWatch(self.result):
            return runs.dagster(data_dir, self.start, start, end, self.logs / log)

    def _bare(self, data_dir: Path, start: date, end: date, log: str) -> runs.Run:
        with _ParseWatch(self.result):
            return runs.bare_dbt(data_dir, self.start, start, end, self.logs / log, self.root / "runs" / "dbt-target")

    def _same_result(self, label: str, warehouses: dict[str, Path], start: date, end: date,
                     with_floor_day: bool = False) -> None:
        """This way's central result for [start, end] equals the floor's, or the bench stops."""
        floors = self.root / "runs" / "floor"
        ways = {"raw DuckDB floor": (floors / "floor-90.duckdb", FLOOR_TABLE),
                **({"raw DuckDB floor, one day": (floors / "floor-day.duckdb", FLOOR_TABLE)} if with_floor_day else {}),
                **{name: (path / "warehouse.duckdb", MART) for name, path in warehouses.items()}}
        sums = require_equal(ways, start, end)
        self.result.checksums.setdefault(f"{label} ({start}..{end})", {}).update(sums)


class _ParseWatch:
    """Parses the dbt project before a timed run if it is stale (another engineer edited a model),
    and counts the runs that re-parsed anyway, so a figure never hides a dbt parse unsaid."""

    def __init__(self, result: ScaleResult):
        self.result = result

    def __enter__(self):
        ensure_manifest()
        self.path = DBT_PROJECT.manifest_path
        self.mtime = self.path.stat().st_mtime
        return self

    def __exit__(self, *exc):
        if self.path.stat().st_mtime != self.mtime:
            self.result.reparsed_runs += 1


def _rows_of_day(warehouse: Path, day: date) -> int:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return sum(conn.execute(f"select count(*) from raw.{feed} where dt = ?", [day]).fetchone()[0]
                   for feed in FEEDS)
