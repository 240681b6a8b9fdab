"""One verdict per as-of day: complete only when the data shows it, and the only thing delivery reads."""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from prod_pipelines.completeness import day_checks, verdict
from prod_pipelines.landing.contracts import CONTRACTS
from prod_pipelines.landing.loader import ensure_tables, load_partition

MONDAY = date(2025, 1, 6)
DAYS = [MONDAY + timedelta(days=i) for i in range(3)]
MART = dg.AssetKey(["marts", "top_items_not_carried"])
COVERAGE = dg.AssetCheckKey(MART, "active_store_coverage")


@pytest.fixture
def conn():
    conn = duckdb.connect()
    for contract in CONTRACTS.values():
        ensure_tables(conn, contract)
    conn.execute("create schema marts")
    conn.execute("create table marts.daily_data_quality "
                 "(as_of_date date, candidate_stores bigint, recommendations bigint)")
    yield conn
    conn.close()


ONE_ROW = {"orders": "o1,1,S1,K1,1,1.00,{day}T10:00:00Z", "inventory": "{day},S1,K1,1",
           "stores": "S1,Corner,M1,full,true", "products": "K1,Gin,spirits,750,"}


def arrive(conn, feed: str, day: date) -> None:
    """A partition of one row loaded the way the raw assets load it (its load recorded)."""
    with tempfile.TemporaryDirectory() as landing:
        folder = Path(landing) / feed / f"dt={day}"
        folder.mkdir(parents=True)
        (folder / "f.csv").write_text(",".join(CONTRACTS[feed].names) + "\n" + ONE_ROW[feed].format(day=day) + "\n")
        load_partition(conn, CONTRACTS[feed], Path(landing), day)


def a_normal_day(conn, day: date, candidates: int = 3, recommendations: int = 10) -> None:
    for feed in ("orders", "inventory"):
        arrive(conn, feed, day)
    conn.execute("insert into marts.daily_data_quality values (?, ?, ?)", [day, candidates, recommendations])
    day_checks.record(conn, [day_checks.DayCheck(MART, COVERAGE.name, day, passed=True)], run_id="r1")


@pytest.fixture
def three_days(conn):
    arrive(conn, "stores", MONDAY)
    arrive(conn, "products", MONDAY)
    for day in DAYS:
        a_normal_day(conn, day)
    return conn


def judge(conn, days=DAYS) -> dict[date, verdict.Verdict]:
    verdicts = verdict.decide(conn, days, [COVERAGE])
    verdict.record(conn, verdicts, run_id="r1")
    return {v.day: v for v in verdicts}


def test_a_day_whose_feeds_arrived_and_whose_checks_passed_is_complete(three_days):
    assert all(v.complete and not v.reasons for v in judge(three_days).values())
    assert verdict.newest_complete_day(three_days) == (DAYS[-1], [])


def test_a_failed_error_check_holds_its_day_back_with_the_numbers_and_delivery_takes_the_day_before(three_days):
    day_checks.record(three_days, [day_checks.DayCheck(MART, COVERAGE.name, DAYS[-1], passed=False,
                                                       summary="coverage=0.35 below 0.7x the recent median 0.98")],
                      "r2")
    verdicts = judge(three_days)
    assert not verdicts[DAYS[-1]].complete
    assert verdicts[DAYS[-1]].reasons == ("marts/top_items_not_carried:active_store_coverage failed: "
                                          "coverage=0.35 below 0.7x the recent median 0.98",)
    day, held_back = verdict.newest_complete_day(three_days)
    assert day == DAYS[-2] and [v.day for v in held_back] == [DAYS[-1]]


def test_a_failed_warn_check_informs_but_holds_nothing_back(three_days):
    warn = day_checks.DayCheck(dg.AssetKey(["raw", "orders"]), "contract", DAYS[-1], passed=False,
                               severity=dg.AssetCheckSeverity.WARN, summary="2 of 900 rows rejected")
    day_checks.record(three_days, [warn], "r2")
    assert judge(three_days)[DAYS[-1]].complete


def test_a_day_past_the_data_is_never_complete(three_days):
    later = DAYS[-1] + timedelta(days=1)
    reasons = judge(three_days, [later])[later].reasons
    assert f"orders dt={later} has not arrived (or is not loaded)" in reasons
    assert f"inventory dt={later} has not arrived (or is not loaded)" in reasons
    assert f"{MART.to_user_string()}:{COVERAGE.name} has not judged {later}" in reasons
    assert verdict.newest_complete_day(three_days)[0] is None


def test_a_day_before_any_reference_snapshot_is_held_back(conn):
    a_normal_day(conn, MONDAY)
    assert judge(conn, [MONDAY])[MONDAY].reasons == (f"no stores snapshot on or before {MONDAY} has been loaded",
                                                      f"no products snapshot on or before {MONDAY} has been loaded")


def test_an_empty_result_is_complete_only_when_no_store_is_a_candidate(three_days):
    three_days.execute("update marts.daily_data_quality set recommendations = 0 where as_of_date = ?", [DAYS[0]])
    three_days.execute("update marts.daily_data_quality set candidate_stores = 0, recommendations = 0 "
                       "where as_of_date = ?", [DAYS[1]])
    verdicts = judge(three_days)
    assert verdicts[DAYS[0]].reasons == (f"no recommendations for {DAYS[0]} although 3 store(s) are candidates",)
    assert verdicts[DAYS[1]].complete


def test_a_partition_loaded_again_voids_the_verdicts_resting_on_it_until_they_are_judged_again(three_days):
    judge(three_days)
    arrive(three_days, "orders", DAYS[1])  # a late file: orders of DAYS[1] reloaded
    current = {v.day: v for v in verdict.current_verdicts(three_days)}
    assert current[DAYS[0]].complete
    assert not current[DAYS[1]].complete and not current[DAYS[2]].complete
    assert "loaded again" in current[DAYS[2]].reason_text
    # The run that recomputes those days tests them again, then judges them.
    day_checks.record(three_days, [day_checks.DayCheck(MART, COVERAGE.name, d, passed=True) for d in DAYS[1:]], "r2")
    judge(three_days)
    assert verdict.newest_complete_day(three_days) == (DAYS[-1], [])


def test_a_weekly_consumer_gets_the_newest_complete_day_of_its_weekday(three_days):
    judge(three_days)
    assert verdict.newest_complete_day(three_days, lambda d: d.weekday() == 0) == (MONDAY, [])


def test_a_day_judged_from_checks_older_than_its_data_is_held_back(three_days):
    arrive(three_days, "inventory", DAYS[-1])  # reloaded, but the dbt tests have not run again
    verdicts = judge(three_days)
    assert verdicts[DAYS[-1]].reasons == (f"{MART.to_user_string()}:{COVERAGE.name} judged {DAYS[-1]} "
                                          "before its raw data was loaded again",)
    assert verdicts[DAYS[0]].complete  # its data did not change
    day_checks.record(three_days, [day_checks.DayCheck(MART, COVERAGE.name, DAYS[-1], passed=True)], "r3")
    assert judge(three_days)[DAYS[-1]].complete
