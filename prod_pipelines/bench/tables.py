"""The generated half of `docs/benchmarks.md`: tables of times, ratios, memory, steps and targets."""

from __future__ import annotations

from prod_pipelines.bench.goals import Outcome
from prod_pipelines.bench.scenarios import ScaleResult

WAYS = (
    ("dagster_day", "One day, Dagster end to end (`prod-pipelines backfill --start D --end D`)"),
    ("bare_day", "One day, bare dbt (`load_range` + `dbt build`)"),
    ("floor_day", "One day, raw DuckDB floor (`floor.sql`)"),
    ("dagster_90", "90 days, Dagster single run"),
    ("bare_90", "90 days, bare dbt"),
    ("floor_90", "90 days, raw DuckDB floor"),
)
RATIOS = (
    ("One day: Dagster / bare dbt", "dagster_day", "bare_day"),
    ("One day: Dagster / raw DuckDB", "dagster_day", "floor_day"),
    ("90 days: Dagster / bare dbt", "dagster_90", "bare_90"),
    ("90 days: Dagster / raw DuckDB", "dagster_90", "floor_90"),
)


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def per_partition_seconds(result: ScaleResult) -> float:
    return result.per_partition.total if result.per_partition else 0.0


def times(results: list[ScaleResult]) -> str:
    header = ["", *(f"SF {r.scale:g}" for r in results)] + (["SF ratio (linear = ×10)"] if len(results) > 1 else [])
    rows = []
    for key, label in WAYS:
        row = [label, *(r.figures[key].seconds.text() for r in results)]
        rows.append(row + ([_scaling(results, lambda r, key=key: r.figures[key].seconds.median)]
                           if len(results) > 1 else []))
    row = ["90 days as per-partition runs (extrapolated, see below)",
           *(f"{per_partition_seconds(r):.0f} s" for r in results)]
    rows.append(row + ([_scaling(results, per_partition_seconds)] if len(results) > 1 else []))
    return table(header, rows)


def _scaling(results: list[ScaleResult], value) -> str:
    low, high = value(results[0]), value(results[-1])
    factor = results[-1].scale / results[0].scale
    return f"×{high / low:.1f} for ×{factor:g} data" if low else "n/a"


def ratios(results: list[ScaleResult]) -> str:
    rows = [[label, *(f"{r.figures[a].seconds.median / r.figures[b].seconds.median:.1f}x" for r in results)]
            for label, a, b in RATIOS]
    rows.append(["90 days: per-partition / single run",
                 *(f"{per_partition_seconds(r) / r.figures['dagster_90'].seconds.median:.1f}x" for r in results)])
    return table(["ratio (of medians)", *(f"SF {r.scale:g}" for r in results)], rows)


def throughput(results: list[ScaleResult]) -> str:
    rows = [[label, *(f"{r.figures[key].input_rows:,} rows: {r.figures[key].rows_per_second:,.0f} rows/s"
                      for r in results)]
            for key, label in WAYS]
    return table(["landing rows read / wall time", *(f"SF {r.scale:g}" for r in results)], rows)


def memory(results: list[ScaleResult]) -> str:
    rows = [[label, *(f"{r.figures[key].tree_rss_mb:,.0f} MB ({r.figures[key].max_rss_mb:,.0f} MB)" for r in results)]
            for key, label in WAYS]
    return table(["peak RSS: process tree, sampled (largest single process, exact)",
                  *(f"SF {r.scale:g}" for r in results)], rows)


def steps(results: list[ScaleResult]) -> str:
    columns = [(r, key) for key in ("dagster_day", "dagster_90") for r in results]
    tables = {(r.scale, key): r.figures[key].steps() for r, key in columns}
    names = list(dict.fromkeys(n for t in tables.values() for n in t))
    rows = [[f"`{name}`" if not name.startswith("(") else name,
             *(tables[(r.scale, key)][name].text(digits=1) if name in tables[(r.scale, key)] else "–"
               for r, key in columns)]
            for name in names]
    rows.append(["**wall clock**", *(r.figures[key].seconds.text(digits=1) for r, key in columns)])
    rows.append(["events the run wrote to its instance",
                 *(r.figures[key].events.text(unit="", digits=0) for r, key in columns)])
    header = ["Dagster step (from the run's step stats)",
              *(f"{'one day' if key == 'dagster_day' else '90 days'}, SF {r.scale:g}" for r, key in columns)]
    return table(header, rows)


def bare_split(results: list[ScaleResult]) -> str:
    rows = [[f"{label}: {part}", *(f"{r.figures[key].part(part).text()}, "
                                   f"{max(run.parts[part].max_rss_mb for run in r.figures[key].runs):,.0f} MB"
                                   for r in results)]
            for key, label in (("bare_day", "One day"), ("bare_90", "90 days")) for part in ("ingest", "dbt build")]
    return table(["bare dbt, by process (time, peak RSS)", *(f"SF {r.scale:g}" for r in results)], rows)


def extrapolation(results: list[ScaleResult]) -> str:
    rows = []
    for r in results:
        x = r.per_partition
        a, b = x.line
        low, high = x.bounds()
        samples = ", ".join(f"day {i}: {c:.1f} s" for i, c in sorted(x.samples))
        rows.append([f"SF {r.scale:g}", samples, f"{a:.1f} s + {b:.3f} s × i", f"**{x.total:.0f} s**",
                     f"{low:.0f}–{high:.0f} s"])
    return table(["", "single-day runs measured (position i in the range)", "least-squares cost(i)",
                  "Σ i=1..90", "90 × early mean … 90 × late mean"], rows)


def checksums(results: list[ScaleResult]) -> str:
    rows = [[f"SF {r.scale:g}", label, way, f"{c.rows:,}", f"`{c.md5}`"]
            for r in results for label, ways in r.checksums.items() for way, c in ways.items()]
    return table(["", "as-of days", "way", "rows", "md5 of the sorted rows"], rows)


def targets(outcomes: list[Outcome]) -> str:
    return table(["target (2-core machine)", "measured", "status"],
                 [[o.target, o.measured, "**met**" if o.met else ("**missed**" if o.met is False else "not measured")]
                  for o in outcomes])
