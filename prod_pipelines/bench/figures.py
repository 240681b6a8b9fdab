"""Repeated runs summarised: median [min-max] time, peak memory, Dagster step times, per-partition extrapolation."""

from __future__ import annotations

from dataclasses import dataclass, field

from prod_pipelines.bench.measure import Stats
from prod_pipelines.bench.runs import Run


@dataclass
class Figure:
    """The repeated runs of one way on one piece of work, and the input rows that work reads."""

    runs: list[Run] = field(default_factory=list)
    input_rows: int = 0

    @property
    def seconds(self) -> Stats:
        return Stats.of([r.seconds for r in self.runs])

    def part(self, name: str) -> Stats:
        return Stats.of([r.parts[name].seconds for r in self.runs])

    @property
    def max_rss_mb(self) -> float:
        return max(r.max_rss_mb for r in self.runs)

    @property
    def tree_rss_mb(self) -> float:
        return max(r.tree_rss_mb for r in self.runs)

    @property
    def rows_per_second(self) -> float:
        return self.input_rows / self.seconds.median if self.input_rows else 0.0

    @property
    def events(self) -> Stats:
        return Stats.of([r.events for r in self.runs])

    def steps(self) -> dict[str, Stats]:
        """Median step durations of Dagster runs, freshness checks summed into one line, plus the time
        spent in the run between steps and outside it (process start, definitions, creating the run
        with its planned events, the summary)."""
        names = dict.fromkeys(_group(k) for r in self.runs for k in r.steps)
        table = {name: Stats.of([sum(v for k, v in r.steps.items() if _group(k) == name) for r in self.runs])
                 for name in names}
        if table:
            table["(of `dbt_models`: dbt's own build, from its run_results.json)"] = Stats.of(
                [r.dbt_seconds for r in self.runs])
            table["(in the run, between steps)"] = Stats.of([r.run_seconds - sum(r.steps.values()) for r in self.runs])
            table["(outside the run: start, definitions, run creation, summary)"] = Stats.of(
                [r.seconds - r.run_seconds for r in self.runs])
        return table


def _group(step_key: str) -> str:
    return "freshness checks" if step_key.startswith("freshness_check") else step_key


@dataclass(frozen=True)
class Extrapolation:
    """The cost of 90 per-partition runs, from single-day runs at known positions in the range.

    A day's run reads up to 89 earlier days of orders, so its cost can grow with its position i
    (1..90). A least-squares line cost(i) = a + b*i through the samples, summed over i = 1..90,
    is the estimate; 90 x the early mean and 90 x the late mean bound it.
    """

    samples: tuple[tuple[int, float], ...]
    days: int = 90

    @property
    def line(self) -> tuple[float, float]:
        n = len(self.samples)
        mean_i = sum(i for i, _ in self.samples) / n
        mean_c = sum(c for _, c in self.samples) / n
        spread = sum((i - mean_i) ** 2 for i, _ in self.samples)
        slope = sum((i - mean_i) * (c - mean_c) for i, c in self.samples) / spread if spread else 0.0
        return mean_c - slope * mean_i, slope

    @property
    def total(self) -> float:
        a, b = self.line
        return self.days * a + b * self.days * (self.days + 1) / 2

    def bounds(self, early_below: int = 45) -> tuple[float, float]:
        early = [c for i, c in self.samples if i <= early_below] or [c for _, c in self.samples]
        late = [c for i, c in self.samples if i > early_below] or [c for _, c in self.samples]
        return self.days * sum(early) / len(early), self.days * sum(late) / len(late)
