"""Bad upstream data is caught, kept, explained, and never reaches a consumer (issue: data contracts)."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
import polars as pl
import pytest

from prod_pipelines.compat import freeze_time
from prod_pipelines.definitions import build_definitions
from prod_pipelines.landing.contracts import CONTRACTS
from prod_pipelines.landing.zone import read_as_text
from prod_pipelines.settings import Settings
from prod_pipelines_tests.support.scenario import (
    DAY,
    EXPORTS,
    FIRST,
    GOOD_DAY,
    NEXT_DAY,
    copy_of,
    last_monday_on_or_before,
    prepare_good_history,
)

GOOD_DELIVERIES = {"retailer_app": GOOD_DAY, "salesforce": GOOD_DAY, "crm_email": last_monday_on_or_before(GOOD_DAY)}


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory):
    root = tmp_path_factory.mktemp("scenarios")
    base = prepare_good_history(root)
    return lambda name: copy_of(base, root, name)


def assert_consumers_keep_the_last_good_day(scenario):
    assert scenario.delivered() == GOOD_DELIVERIES
    for consumer in GOOD_DELIVERIES:
        assert not (scenario.data_dir / "destinations" / consumer / f"dt={DAY.isoformat()}").exists()
    verdict = scenario.verdict()
    assert verdict is None or not verdict[0], f"D must not be complete: {verdict}"


def assert_held_back_by(scenario, done, check: str) -> dict:
    """D was computed, judged and held back for every consumer by `check`; returns the check's failing
    row, after proving the check shows that row's observed value and bound (what a person acts on)."""
    assert done.returncode != 0 and check in done.stderr and "held back" in done.stderr, done.stderr[-3000:]
    complete, reasons = scenario.verdict()
    assert not complete and any(check in r for r in reasons), reasons
    asset = next(a for (a,) in scenario.query("select asset from audit.day_checks where check_name = ?", [check]))
    evaluation = scenario.latest_check(asset, check)
    assert not evaluation.passed and evaluation.partition == DAY.isoformat()
    assert evaluation.severity == dg.AssetCheckSeverity.ERROR
    assert scenario.deliver().returncode == 0
    assert_consumers_keep_the_last_good_day(scenario)
    failing = evaluation.metadata["failing_rows_sample"].value[0]
    observed, bound = evaluation.metadata["observed_value"].value, evaluation.metadata["bound"].value
    assert float(observed.replace(",", "")) == pytest.approx(float(failing["observed_value"]), rel=1e-3)
    limits = [float(failing[k]) for k in ("lower_bound", "upper_bound") if failing.get(k) not in (None, "None")]
    assert limits and bound.startswith((">= ", "<= ", "between ", "= ")), bound
    assert f"observed {observed}, expected {bound}" in evaluation.description
    return failing


def assert_the_next_good_day_is_delivered(scenario):
    # D-1 to D+1 is two days of change, beyond the blast-radius guard at this scale: the operator approves it.
    done = scenario.process_day(NEXT_DAY, "--approve-large-change", "all")
    assert done.returncode == 0, done.stderr[-3000:]
    assert scenario.verdict(NEXT_DAY) == (True, [])
    assert scenario.delivered()["retailer_app"] == NEXT_DAY
    assert scenario.delivered()["salesforce"] == NEXT_DAY


def test_a_renamed_inventory_column_stops_day_d_and_every_consumer_keeps_d_minus_1(scenarios):
    scenario = scenarios("renamed_column")
    files = scenario.rewrite("inventory", lambda f: f.rename({"on_hand_qty": "qty_on_hand"}))
    done = scenario.process_day()
    assert done.returncode != 0
    assert "inventory" in done.stderr and "on_hand_qty" in done.stderr and files[0] in done.stderr
    assert scenario.query("select count(*) from staging.stg_inventory where snapshot_date = ?", [DAY]) == [(0,)]
    assert scenario.query("select count(*) from marts.top_items_not_carried where as_of_date = ?", [DAY]) == [(0,)]
    assert scenario.deliver().returncode == 0
    assert_consumers_keep_the_last_good_day(scenario)
    for export in EXPORTS:
        assert scenario.query(f"select count(*) from exports.{export} where as_of_date = ?", [DAY]) == [(0,)]
        columns = [c for (c,) in scenario.query(
            "select column_name from information_schema.columns where table_schema = 'exports' and table_name = ?",
            [export])]
        nulls = scenario.query(f"select count(*) from exports.{export} where "
                               + " or ".join(f"{c} is null" for c in columns))
        assert nulls == [(0,)], f"{export} holds NULLs"


def test_inventory_covering_40_percent_of_stores_fails_coverage_and_blocks_delivery(scenarios):
    scenario = scenarios("partial_inventory")
    stores = sorted(s for (s,) in scenario.query("select distinct store_id from raw.inventory where dt = ?",
                                                 [GOOD_DAY]))
    kept = set(stores[: int(len(stores) * 0.4)])
    scenario.rewrite("inventory", lambda f: f.filter(pl.col("store_id").is_in(kept)))
    failing = assert_held_back_by(scenario, scenario.process_day(), "active_store_coverage")
    assert failing["as_of_date"] == DAY.isoformat() and float(failing["observed_value"]) <= 0.45


def test_an_inventory_re_keyed_upstream_is_held_back_for_every_consumer_and_the_next_day_flows(scenarios):
    scenario = scenarios("re_keyed_inventory")
    scenario.rewrite("inventory", lambda f: f.with_columns((pl.lit("NEW-") + pl.col("sku_id")).alias("sku_id")))
    failing = assert_held_back_by(scenario, scenario.process_day(), "inventory_unknown_items_near_normal")
    assert failing["as_of_date"] == DAY.isoformat() and float(failing["observed_value"]) == 1.0
    assert float(failing["upper_bound"]) <= 0.05 * 3
    assert_the_next_good_day_is_delivered(scenario)


def test_order_lines_of_unknown_stores_hold_the_day_back(scenarios):
    scenario = scenarios("unknown_stores")
    scenario.rewrite("orders", lambda f: f.with_columns(
        pl.when(pl.int_range(pl.len()) % 2 == 0).then(pl.lit("GONE-") + pl.col("store_id"))
        .otherwise(pl.col("store_id"))
        .alias("store_id")))
    failing = assert_held_back_by(scenario, scenario.process_day(), "order_unknown_stores_near_normal")
    assert 0.4 < float(failing["observed_value"]) < 0.6 and float(failing["recent_median"]) == 0.0
    assert_the_next_good_day_is_delivered(scenario)


def test_a_result_of_unusual_shape_holds_the_day_back(scenarios):
    scenario = scenarios("nothing_on_hand")
    scenario.rewrite("inventory", lambda f: f.with_columns(on_hand_qty=pl.lit("0")))  # every store carries nothing
    failing = assert_held_back_by(scenario, scenario.process_day(), "recommendations_per_store_near_normal")
    observed, upper, median = (float(failing[k]) for k in ("observed_value", "upper_bound", "recent_median"))
    assert observed > upper >= 2 * median * 0.99
    assert_the_next_good_day_is_delivered(scenario)


def test_bad_order_rows_are_kept_with_their_rule_and_the_rest_flow_through(scenarios):
    scenario = scenarios("bad_orders")
    folder = scenario.landing / "orders" / f"dt={DAY.isoformat()}"
    delivered_files = [read_as_text(p, "orders") for p in sorted(folder.iterdir())]
    good = sum(f.height for f in delivered_files)
    dup_order, dup_line = delivered_files[0].row(0, named=True)["order_id"], delivered_files[0]["line_number"][0]
    at = f"{DAY.isoformat()}T12:00:00Z"
    bad = pl.DataFrame({
        "order_id": [None, "BAD-2", "BAD-3", "BAD-4", dup_order],
        "line_number": ["1", "1", "1", "1", str(dup_line)],
        "store_id": ["S0001"] * 5, "sku_id": ["K00001"] * 5,
        "quantity": ["1", "0", "2", "2", "1"],
        "line_amount": ["10.00", "0.00", "-5.00", "5.00", "10.00"],
        "ordered_at": [at, at, at, f"{GOOD_DAY.isoformat()}T12:00:00Z", at],
    })
    bad.write_csv(folder / "zz-late-corrections.csv")
    done = scenario.process_day()
    assert done.returncode == 0, done.stderr
    rejects = scenario.query("select row_number, rule from raw.rejects where feed = 'orders' and dt = ? "
                             "and file like '%zz-late-corrections.csv' order by row_number", [DAY])
    assert rejects == [(1, "order_id: not_nullable"), (2, "quantity: not_equal_to(0)"),
                       (3, "line_amount: same_sign_as_quantity"), (4, "ordered_at: equals_partition_date"),
                       (5, "order_id+line_number: duplicate")]
    (accepted,), = scenario.query("select count(*) from raw.orders where dt = ?", [DAY])
    (rejected,), = scenario.query("select count(*) from raw.rejects where feed = 'orders' and dt = ?", [DAY])
    assert (accepted, rejected) == (good, 5) and accepted + rejected == good + 5
    assert scenario.query("select count(*) from staging.stg_orders where order_date = ?", [DAY]) == [(good,)]
    contract = scenario.latest_check("raw/orders", "contract")
    assert not contract.passed and contract.severity == dg.AssetCheckSeverity.WARN
    assert contract.metadata["rows_rejected"].value == 5
    assert scenario.delivered()["retailer_app"] == DAY


def test_a_feed_without_a_partition_at_the_deadline_is_reported_by_its_freshness_check(scenarios):
    scenario = scenarios("late_feed")
    defs = build_definitions(Settings(data_dir=scenario.data_dir, start_date=FIRST))
    job = defs.resolve_implicit_global_asset_job_def()
    checks = [k for k in defs.resolve_asset_graph().asset_check_keys if k.name == "freshness_check"
              and k.asset_key.path[0] == "raw"]
    instance = dg.DagsterInstance.from_config(str(scenario.data_dir / "dagster"))
    try:
        with freeze_time(datetime(DAY.year, DAY.month, DAY.day, 9, 30, tzinfo=UTC)):
            on_time = job.get_subset(asset_check_selection=set(checks)).execute_in_process(instance=instance)
        with freeze_time(datetime(DAY.year, DAY.month, DAY.day + 1, 9, 30, tzinfo=UTC)):
            overdue = job.get_subset(asset_check_selection=set(checks)).execute_in_process(instance=instance)
    finally:
        instance.dispose()
    assert all(e.passed for e in on_time.get_asset_check_evaluations()), "D-1 was loaded before the deadline of D"
    late = {e.asset_key.to_user_string(): e for e in overdue.get_asset_check_evaluations()}
    assert set(late) == {f"raw/{feed}" for feed in CONTRACTS}  # every feed's day D is loaded by the pipeline
    assert not late["raw/orders"].passed and DAY.isoformat() in late["raw/orders"].description
