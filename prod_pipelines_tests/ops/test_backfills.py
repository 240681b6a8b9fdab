"""Range backfills: one run, re-runnable, and precise about what a changed file changes."""

from __future__ import annotations

import hashlib
from datetime import date

import dagster as dg
import polars as pl
import pytest

from prod_pipelines.automation.run_classes import BACKFILL, MAX_RUNTIME_TAG, RUN_CLASS_TAG
from prod_pipelines.landing.zone import partition_dir, read_as_text
from prod_pipelines_tests.support.cli import backfilled_landing, run_cli
from prod_pipelines_tests.support.warehouse_state import partition_digests, pipeline_runs, query

START, END = date(2025, 1, 1), date(2025, 3, 1)  # 60 days
CHANGED_DAY = date(2025, 2, 10)


@pytest.fixture(scope="module")
def backfilled(tmp_path_factory):
    return backfilled_landing(tmp_path_factory, "backfill60", START, END)


def test_a_60_day_backfill_is_one_run_for_every_layer(backfilled):
    runs = pipeline_runs(backfilled)
    assert len(runs) == 1
    assert runs[0].tags["dagster/asset_partition_range_start"] == START.isoformat()
    assert runs[0].tags["dagster/asset_partition_range_end"] == END.isoformat()
    # queued as a backfill if it ever went through the queue; the daemon neither retries nor times it
    assert {k: runs[0].tags[k] for k in (RUN_CLASS_TAG, "dagster/max_retries", MAX_RUNTIME_TAG)} == {
        RUN_CLASS_TAG: BACKFILL.name, "dagster/max_retries": "0", MAX_RUNTIME_TAG: "0"}
    days = {day for (table, day) in partition_digests(backfilled) if table == "marts.top_items_not_carried"}
    assert len(days) == 60


def latest_materialization(data_dir, asset: str, day: date) -> dg.AssetMaterialization:
    instance = dg.DagsterInstance.from_config(str(data_dir / "dagster"))
    try:
        found = instance.fetch_materializations(
            dg.AssetRecordsFilter(dg.AssetKey.from_user_string(asset), asset_partitions=[day.isoformat()]), limit=1)
        return found.records[0].event_log_entry.asset_materialization
    finally:
        instance.dispose()


def test_a_dbt_model_shows_its_rows_of_each_day(backfilled):
    """Each day of a range run shows that day's own `dagster/row_count` (the window's per-day counts are
    in `rows_by_day`), and so does a one-day run (the daily run)."""
    counts = dict(query(backfilled, "select as_of_date, count(*) from marts.top_items_not_carried group by 1"))
    assert len(set(counts.values())) > 1, "every day has the same count: the test could not tell days apart"
    for day in (START, CHANGED_DAY, END):
        shown = latest_materialization(backfilled, "marts/top_items_not_carried", day).metadata
        assert shown["dagster/row_count"].value == counts[day], day
        assert shown["rows_by_day"].value == {d.isoformat(): n for d, n in counts.items()}
    run_cli("backfill", "--start", END.isoformat(), "--end", END.isoformat(), data_dir=backfilled, start_date=START)
    daily = latest_materialization(backfilled, "marts/top_items_not_carried", END).metadata
    assert daily["dagster/row_count"].value == counts[END]
    assert daily["rows_by_day"].value == {END.isoformat(): counts[END]}


def test_a_dry_run_prints_the_plan_and_changes_nothing(backfilled):
    warehouse = backfilled / "warehouse.duckdb"
    before = hashlib.sha256(warehouse.read_bytes()).hexdigest(), len(pipeline_runs(backfilled))
    done = run_cli("backfill", "--start", "2025-02-01", "--end", "2025-02-07", "--dry-run",
                   data_dir=backfilled, start_date=START)
    assert "2025-02-01..2025-02-07 (7 days)" in done.stdout
    assert "marts/top_items_not_carried" in done.stdout and "raw/inventory" in done.stdout
    assert "retailer_app   nothing: it holds 2025-03-01, newer than the range" in done.stdout
    assert (hashlib.sha256(warehouse.read_bytes()).hexdigest(), len(pipeline_runs(backfilled))) == before


def test_a_changed_inventory_file_changes_only_that_days_partitions(backfilled):
    before = partition_digests(backfilled)
    [(store, sku)] = query(backfilled,
        "select i.store_id, i.sku_id from staging.stg_inventory i "
        "join intermediate.int_stores_resolved s on s.store_id = i.store_id and s.as_of_date = i.snapshot_date "
        "join intermediate.int_market_sales_ranked r on r.market_id = s.market_id and r.sku_id = i.sku_id "
        "and r.as_of_date = i.snapshot_date where i.snapshot_date = ? and i.on_hand_qty > 0 and s.is_active "
        "order by r.market_rank, i.store_id limit 1", [CHANGED_DAY])
    folder = partition_dir(backfilled / "landing", "inventory", CHANGED_DAY)
    for path in sorted(folder.iterdir()):  # the store sold out of one of its market's top sellers
        frame = read_as_text(path, "inventory").with_columns(
            on_hand_qty=pl.when((pl.col("store_id") == store) & (pl.col("sku_id") == sku))
            .then(pl.lit("0")).otherwise(pl.col("on_hand_qty")))
        path.unlink()
        frame.write_csv(folder / (path.name.split(".")[0] + ".csv"))
    run_cli("backfill", "--start", START.isoformat(), "--end", END.isoformat(), data_dir=backfilled, start_date=START)
    after = partition_digests(backfilled)
    changed = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
    assert {("raw.inventory", CHANGED_DAY.isoformat()),
            ("marts.top_items_not_carried", CHANGED_DAY.isoformat())} <= changed
    assert {day for _, day in changed} == {CHANGED_DAY.isoformat()}, sorted(changed)
