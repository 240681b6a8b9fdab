"""The performance targets, checked against what the bench measured (at SF 1, and SF 10 when run)."""

from __future__ import annotations

from dataclasses import dataclass

from prod_pipelines.bench.measure import Stats
from prod_pipelines.bench.overhead import Overhead
from prod_pipelines.bench.scenarios import ScaleResult

TARGET_SCALE = 1.0
LARGE_SCALE = 10.0
MAX_PROCESS_RSS_MB = 2048
# Cost is "linear in SF" when growing the data k-fold grows the time at most k-fold (fixed costs make
# it less), with this much room for noise.
LINEAR_TOLERANCE = 1.15
NAMES = {"dagster_day": "Dagster, one day", "bare_day": "bare dbt, one day", "floor_day": "floor, one day",
         "dagster_90": "Dagster, 90 days", "bare_90": "bare dbt, 90 days", "floor_90": "floor, 90 days"}
LINEAR_WAYS = (("dagster_day", "one day"), ("dagster_90", "90 days"), ("bare_90", "bare dbt 90 days"),
               ("floor_90", "floor 90 days"))


@dataclass(frozen=True)
class Outcome:
    target: str
    measured: str
    met: bool | None  # None: not measured in this run


def evaluate(results: list[ScaleResult], overhead: Overhead | None, large: ScaleResult | None = None) -> list[Outcome]:
    at = next((r for r in results if r.scale == TARGET_SCALE), None)
    return [
        _ratio(at, "One day at SF 1 within 1.5x of bare dbt", "dagster_day", "bare_day", 1.5, below=True),
        _ratio(at, "90-day backfill at SF 1 within 2x of the raw DuckDB floor", "dagster_90", "floor_90", 2.0,
               below=True),
        _per_partition(at),
        _memory(at),
        _definitions(overhead),
        _linear(results),
        _large(at, large),
    ]


def _ratio(r: ScaleResult | None, target: str, a: str, b: str, limit: float, below: bool) -> Outcome:
    if r is None:
        return Outcome(target, "SF 1 not run", None)
    value = r.figures[a].seconds.median / r.figures[b].seconds.median
    return Outcome(target, f"{value:.1f}x ({r.figures[a].seconds.median:.1f} s vs {r.figures[b].seconds.median:.1f} s)",
                   value <= limit if below else value >= limit)


def _per_partition(r: ScaleResult | None) -> Outcome:
    target = "Single run at least 10x faster than per-partition runs for 90 days (SF 1)"
    if r is None or r.per_partition is None:
        return Outcome(target, "SF 1 not run", None)
    single = r.figures["dagster_90"].seconds.median
    value = r.per_partition.total / single
    return Outcome(target, f"{value:.1f}x ({r.per_partition.total:.0f} s extrapolated vs {single:.0f} s)", value >= 10)


def _memory(r: ScaleResult | None) -> Outcome:
    target = "Peak RSS of any one process at most 2 GB at SF 1 (every run)"
    if r is None:
        return Outcome(target, "SF 1 not run", None)
    name, figure = max(r.figures.items(), key=lambda item: item[1].max_rss_mb)
    return Outcome(target, f"{figure.max_rss_mb / 1024:.2f} GB at most ({NAMES.get(name, name)})",
                   figure.max_rss_mb <= MAX_PROCESS_RSS_MB)


def _large(at: ScaleResult | None, large: ScaleResult | None) -> Outcome:
    target = "SF 10 90-day backfill completes within 12x of SF 1's time"
    if at is None or large is None:
        return Outcome(target, "SF 10 not run (make bench BENCH_ARGS=--sf10)", None)
    small, big = at.figures["dagster_90"], large.figures["dagster_90"]
    ratio = big.seconds.median / small.seconds.median
    return Outcome(target, f"{ratio:.1f}x ({big.seconds.median:.0f} s vs {small.seconds.median:.0f} s; "
                           f"largest process {big.max_rss_mb / 1024:.2f} GB)", ratio <= 12.0)


def _definitions(overhead: Overhead | None) -> Outcome:
    target = "Definitions load under 3 s"
    if overhead is None:
        return Outcome(target, "not run", None)
    median = Stats.of([s.seconds for s in overhead.definitions]).median
    return Outcome(target, f"{median:.2f} s (median)", median < 3.0)


def _linear(results: list[ScaleResult]) -> Outcome:
    target = "Cost linear in SF (time grows no faster than the data)"
    if len(results) < 2:
        return Outcome(target, "one scale only", None)
    low, high = results[0], results[-1]
    factor = high.scale / low.scale
    growth = {label: high.figures[key].seconds.median / low.figures[key].seconds.median for key, label in LINEAR_WAYS}
    text = ", ".join(f"{label} ×{g:.1f}" for label, g in growth.items())
    return Outcome(target, f"SF {low.scale:g} → {high.scale:g} (×{factor:g} data): {text}",
                   all(g <= factor * LINEAR_TOLERANCE for g in growth.values()))
