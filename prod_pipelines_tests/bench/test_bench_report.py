"""The bench's report: the targets it judges and the chart it draws, from measured runs."""

from __future__ import annotations

from datetime import date

from prod_pipelines.bench import chart, document
from prod_pipelines.bench.figures import Figure
from prod_pipelines.bench.goals import evaluate
from prod_pipelines.bench.measure import Sample
from prod_pipelines.bench.runs import Run
from prod_pipelines.bench.scenarios import ScaleResult
from prod_pipelines.bench.spark import SparkResult


def dagster_run(seconds: float, rss_mb: float = 900) -> Run:
    steps = {"raw__orders": seconds * 0.2, "raw__inventory": seconds * 0.3, "dbt_models": seconds * 0.3}
    return Run(parts={"dagster": Sample(seconds, rss_mb, rss_mb, "")}, steps=steps, run_seconds=seconds * 0.85,
               dbt_seconds=seconds * 0.2)


def scale(sf: float, dagster_90: float, floor_90: float, rss_mb: float = 900, full: bool = True) -> ScaleResult:
    result = ScaleResult(sf, date(2025, 1, 1), date(2025, 3, 31))
    result.figures["dagster_90"] = Figure([dagster_run(dagster_90, rss_mb)], input_rows=1000)
    result.figures["floor_90"] = Figure([Run(parts={"floor": Sample(floor_90, 500, 500, "")})])
    if full:
        result.figures["dagster_day"] = Figure([dagster_run(10.0)])
        result.figures["bare_day"] = Figure([Run(parts={"ingest": Sample(2.0, 400, 400, ""),
                                                        "dbt build": Sample(6.0, 700, 700, "")})])
        result.figures["floor_day"] = Figure([Run(parts={"floor": Sample(1.0, 300, 300, "")})])
    return result


def outcome(outcomes, starts: str):
    return next(o for o in outcomes if o.target.startswith(starts))


def test_targets_judge_the_floor_ratio_the_largest_process_and_sf10_growth():
    sf1 = scale(1.0, dagster_90=60.0, floor_90=20.0, rss_mb=2500)
    met = evaluate([sf1], None, scale(10.0, dagster_90=600.0, floor_90=200.0, full=False))
    assert outcome(met, "90-day backfill").met is False and "3.0x" in outcome(met, "90-day backfill").measured
    assert outcome(met, "Peak RSS").met is False and "2.44 GB" in outcome(met, "Peak RSS").measured
    assert outcome(met, "One day").met is True  # 10 s against 8 s of bare dbt: 1.25x
    assert outcome(met, "SF 10").met is True and outcome(met, "SF 10").measured.startswith("10.0x")
    slower = evaluate([sf1], None, scale(10.0, dagster_90=780.0, floor_90=200.0, full=False))
    assert outcome(slower, "SF 10").met is False
    assert outcome(evaluate([sf1], None), "SF 10").met is None


def test_the_chart_draws_a_bar_per_scale_and_way_with_its_phases(tmp_path):
    path = tmp_path / "img" / chart.CHART_NAME
    chart.draw([scale(1.0, 60.0, 20.0)], scale(10.0, 600.0, 200.0, full=False), path)
    svg = path.read_text()
    for label in ("SF 1 Dagster", "SF 1 floor", "SF 10 Dagster", "SF 10 floor", "outside the run", "floor script"):
        assert label in svg, label
    assert "SF 10 bare dbt" not in svg  # SF 10 measures the backfill and its floor only
    first = path.read_bytes()
    chart.draw([scale(1.0, 60.0, 20.0)], scale(10.0, 600.0, 200.0, full=False), path)
    assert path.read_bytes() == first  # same figures, same file: the docs diff only when numbers change


def test_the_spark_section_sets_sparks_90_days_beside_duckdbs_at_the_same_scale():
    spark = SparkResult(0.1, date(2025, 1, 1), date(2025, 3, 31), Figure([dagster_run(150.0, 700)]),
                        server_start=[14.0], server_peak_mb=1200)
    section = document._spark([scale(1.0, 90.0, 20.0), scale(0.1, 30.0, 5.0)], spark)
    duckdb_row, spark_row = [line for line in section.splitlines() if line.startswith("| DuckDB") or
                             line.startswith("| Spark")]
    assert "30.0" in duckdb_row and "×1" in duckdb_row
    assert "150.0" in spark_row and "×5.0" in spark_row and "1,200 MB" in spark_row
    assert "SF 0.1" in section and "14.0" in section
