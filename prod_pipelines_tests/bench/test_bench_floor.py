"""The bench's raw DuckDB floor (`prod_pipelines/bench/floor.sql`), written apart from the dbt models,
computes the same central result as the pipeline: a cross-check of both, and what `make bench` relies on."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from prod_pipelines.bench.checksum import COLUMNS, MART
from prod_pipelines.bench.floor import FLOOR_TABLE, run_floor
from prod_pipelines.producers.synthetic import generate_landing

START, END = date(2025, 1, 1), date(2025, 1, 20)
ORDER = "order by as_of_date, store_id, sku_id"


@pytest.fixture(scope="module")
def tiny_landing(tmp_path_factory):
    """20 days at SF 0.02 (20 stores, ~2,000 order lines a day), run through the pipeline."""
    data_dir = tmp_path_factory.mktemp("bench_floor")
    generate_landing(data_dir, START, END, 0.02)
    return data_dir


def test_the_floor_script_gives_the_pipelines_central_result_row_for_row(tiny_landing, run_pipeline):
    warehouse = run_pipeline(tiny_landing, START, END)
    pipeline_rows = warehouse.execute(f"select {', '.join(COLUMNS)} from {MART} {ORDER}").fetchall()

    with duckdb.connect() as conn:
        run_floor(conn, tiny_landing / "landing", START, END)
        floor_rows = conn.execute(f"select {', '.join(COLUMNS)} from {FLOOR_TABLE} {ORDER}").fetchall()

    assert len({row[0] for row in pipeline_rows}) == (END - START).days + 1, "every as-of day has recommendations"
    assert floor_rows == pipeline_rows


def test_the_floor_computes_only_the_as_of_days_it_is_asked_for(tiny_landing):
    with duckdb.connect() as conn:
        run_floor(conn, tiny_landing / "landing", END, END)
        days = conn.execute(f"select distinct as_of_date from {FLOOR_TABLE}").fetchall()

    assert days == [(END,)]
