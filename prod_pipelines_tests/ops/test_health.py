"""`prod-pipelines health` as a probe: exit 0 while every consumer is within its SLA, exit 1 naming the
late consumer, its missing day and the check that blocks it once a bad day is held back.

Real runs on a real warehouse: the good history of `support/scenario.py` (delivered up to D-1), then
day D with inventory for 40% of the stores, which `active_store_coverage` holds back for everyone.
The SLA is judged at fixed moments (`--at`) around the consumers' 09:00 UTC deadlines.
"""

from __future__ import annotations

import json

import polars as pl
import pytest

from prod_pipelines_tests.support.cli import run_cli
from prod_pipelines_tests.support.scenario import DAY, FIRST, GOOD_DAY, copy_of, prepare_good_history

BEFORE_D_IS_DUE = "2025-03-12T10:00"  # D-1 was due at 09:00 today; D is due tomorrow at 09:00
AFTER_D_IS_DUE = "2025-03-13T10:00"  # D was due an hour ago


def health(data_dir, *args: str):
    return run_cli("health", *args, data_dir=data_dir, start_date=FIRST, check=False)


def by_consumer(done) -> dict[str, dict]:
    return {h["consumer"]: h for h in json.loads(done.stdout)}


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    return prepare_good_history(tmp_path_factory.mktemp("health"))


@pytest.fixture(scope="module")
def held_back(good, tmp_path_factory):
    """D processed with inventory for 40% of the stores: held back by `active_store_coverage`."""
    scenario = copy_of(good, tmp_path_factory.mktemp("held"), "coverage")
    stores = scenario.query("select distinct store_id from raw.inventory where dt = ? order by 1",
                            [GOOD_DAY])
    kept = [s for (s,) in stores[: int(len(stores) * 0.4)]]
    scenario.rewrite("inventory", lambda f: f.filter(pl.col("store_id").is_in(kept)))
    done = scenario.process_day()
    assert done.returncode != 0 and "active_store_coverage" in done.stderr, done.stderr[-2000:]
    return scenario.data_dir


def test_every_consumer_within_its_sla_exits_0(good):
    done = health(good, "--at", BEFORE_D_IS_DUE, "--format", "json")
    assert done.returncode == 0, done.stdout + done.stderr
    report = by_consumer(done)
    assert report["retailer_app"]["holds"] == report["retailer_app"]["due"] == GOOD_DAY.isoformat()
    assert report["crm_email"]["holds"] == "2025-03-10"  # the newest Monday, delivered before its deadline
    assert all(not h["needs_person"] and h["days_behind"] == 0 and not h["failing_checks"] for h in report.values())


def test_a_held_back_day_past_its_deadline_names_the_day_the_check_and_exits_1(held_back):
    done = health(held_back, "--at", AFTER_D_IS_DUE, "--format", "json")
    assert done.returncode == 1, done.stdout + done.stderr
    report = by_consumer(done)
    for name in ("retailer_app", "salesforce"):
        late = report[name]
        assert late["needs_person"] and (late["holds"], late["due"]) == (GOOD_DAY.isoformat(), DAY.isoformat())
        assert late["days_behind"] == 1 and late["overdue_by"] == "1h00m"
        [missing] = late["missing_days"]
        assert missing["day"] == DAY.isoformat() and any("active_store_coverage" in r for r in missing["reasons"])
        assert any(c.startswith(f"{DAY} ") and "active_store_coverage" in c for c in late["failing_checks"])
    assert not report["crm_email"]["needs_person"], "a Wednesday held back is not the weekly email's concern"


def test_a_blocked_day_needs_a_person_before_its_deadline_too(held_back):
    done = health(held_back, "--at", BEFORE_D_IS_DUE)
    assert done.returncode == 1, done.stdout + done.stderr
    app = next(line for line in done.stdout.splitlines() if line.strip().startswith("retailer_app"))
    assert app.split()[1:7] == ["NEEDS", "A", "PERSON", GOOD_DAY.isoformat(), GOOD_DAY.isoformat(), "0"], app
    assert f"failing check {DAY} " in done.stdout and "active_store_coverage" in done.stdout


def test_a_timestamp_that_is_not_one_is_refused_by_name(good):
    done = health(good, "--at", "13/03/2025")
    assert done.returncode == 2 and "'13/03/2025' is not an ISO timestamp" in done.stderr


def test_no_warehouse_is_an_error_naming_the_file(tmp_path):
    done = health(tmp_path)
    assert done.returncode == 2 and f"{tmp_path / 'warehouse.duckdb'}: no warehouse yet" in done.stderr
