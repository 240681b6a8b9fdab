"""A late orders file for D-30: the sensor asks for one run, the mart for D reflects it, only D is re-sent."""

from __future__ import annotations

import json
import time
from datetime import date, timedelta

import dagster as dg
import polars as pl
import pytest

from prod_pipelines.assets.verdicts import KEY as VERDICTS
from prod_pipelines.automation.late_data import LATE_TAG, late_data_sensor
from prod_pipelines.automation.run_classes import LATE_DATA
from prod_pipelines.definitions import PIPELINE_JOB, build_definitions
from prod_pipelines.settings import Settings
from prod_pipelines_tests.support.cli import backfilled_landing, run_cli
from prod_pipelines_tests.support.warehouse_state import query

FIRST, D = date(2025, 1, 1), date(2025, 2, 20)
LATE_DAY = D - timedelta(days=30)
LATE_UNITS = 5000


def evaluate_sensor(data_dir, cursor: str | None):
    settings = Settings(data_dir=data_dir, start_date=FIRST)
    defs = build_definitions(settings)
    sensor = late_data_sensor(settings.landing_dir, PIPELINE_JOB, VERDICTS, settle_seconds=0)
    instance = dg.DagsterInstance.from_config(str(data_dir / "dagster"))
    try:
        return sensor(dg.build_sensor_context(instance=instance, cursor=cursor, definitions=defs))
    finally:
        instance.dispose()


@pytest.fixture(scope="module")
def late(tmp_path_factory):
    data_dir = backfilled_landing(tmp_path_factory, "late_data", FIRST, D)
    baseline = evaluate_sensor(data_dir, None)
    store, market, sku = query(data_dir, (
        "select s.store_id, s.market_id, p.sku_id from intermediate.int_stores_resolved s, "
        "intermediate.int_products_resolved p where s.as_of_date = ? and p.as_of_date = ? and s.is_active "
        "and p.is_eligible order by s.store_id, p.sku_id desc limit 1"), [D, D])[0]
    syncs_before = query(data_dir, "select sync_id, consumer, partition_date from delivery.syncs order by all")
    time.sleep(0.05)
    pl.DataFrame({"order_id": ["LATE-1"], "line_number": ["1"], "store_id": [store], "sku_id": [sku],
                  "quantity": [str(LATE_UNITS)], "line_amount": [f"{LATE_UNITS * 10}.00"],
                  "ordered_at": [f"{LATE_DAY.isoformat()}T15:00:00Z"]}).write_csv(
        data_dir / "landing" / "orders" / f"dt={LATE_DAY.isoformat()}" / "late-correction.csv")
    result = evaluate_sensor(data_dir, baseline.cursor)
    return data_dir, result, market, sku, syncs_before


def test_the_sensor_asks_for_one_run_reloading_orders_and_recomputing_the_days_it_reaches(late):
    _, result, _, _, _ = late
    assert len(result.run_requests) == 1
    request = result.run_requests[0]
    assert request.tags["dagster/asset_partition_range_start"] == LATE_DAY.isoformat()
    assert request.tags["dagster/asset_partition_range_end"] == D.isoformat()  # clipped to the newest computed day
    assert request.tags[LATE_TAG] == f"orders:{LATE_DAY.isoformat()}"
    assert LATE_DATA.tags().items() <= request.tags.items()  # queued behind the daily run, ahead of backfills
    raw = {k.to_user_string() for k in request.asset_selection if k.path[0] == "raw"}
    assert raw == {"raw/orders"}
    assert dg.AssetKey(["marts", "top_items_not_carried"]) in request.asset_selection
    assert json.loads(result.cursor)["scanned_until"] >= json.loads(late[1].cursor)["scanned_until"] - 1


def test_an_unchanged_landing_zone_asks_for_nothing(late):
    data_dir, result, _, _, _ = late
    again = evaluate_sensor(data_dir, result.cursor)
    assert not again.run_requests


def test_after_the_run_the_mart_for_d_reflects_the_late_lines_and_only_d_is_re_sent(late):
    data_dir, result, market, sku, syncs_before = late
    request = result.run_requests[0]
    units_before = query(data_dir, "select units_l90 from intermediate.int_market_sales_ranked "
                                   "where as_of_date = ? and market_id = ? and sku_id = ?", [D, market, sku])
    run_cli("backfill", "--start", request.tags["dagster/asset_partition_range_start"],
            "--end", request.tags["dagster/asset_partition_range_end"], "--feeds", "orders",
            "--approve-large-change", "all", data_dir=data_dir, start_date=FIRST)
    ranked = query(data_dir, "select market_rank, units_l90 from intermediate.int_market_sales_ranked "
                             "where as_of_date = ? and market_id = ? and sku_id = ?", [D, market, sku])
    assert ranked and ranked[0][0] == 1
    assert ranked[0][1] == (units_before[0][0] if units_before else 0) + LATE_UNITS
    syncs_after = query(data_dir, "select sync_id, consumer, partition_date from delivery.syncs order by all")
    new = [s for s in syncs_after if s not in syncs_before]
    assert set(syncs_before) <= set(syncs_after), "older deliveries are untouched"
    last_monday = D - timedelta(days=D.weekday())
    held = {"retailer_app": D, "salesforce": D, "crm_email": last_monday}
    assert sorted((c, p) for _, c, p in new) == sorted(held.items()), "each newest delivery changed exactly once"
