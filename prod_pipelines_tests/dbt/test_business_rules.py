"""Acceptance test of spec §2: the whole pipeline on a hand-built landing zone, against hand-worked rows.

The exact-match test is the verdict; each focused test below names one rule so that a failure points
at the rule that broke. All of them read the same single pipeline run.
"""

from collections import namedtuple
from decimal import Decimal

import pytest

from prod_pipelines_tests.support.handmade import AS_OF_DATES, D1, D2, EXPECTED, EXPECTED_UNMATCHED_LINES, PRODUCTS

Row = namedtuple(
    "Row", "as_of_date store_id market_id sku_id market_rank units_l90 revenue_l90 store_rank"
)
_PLACEHOLDERS = ", ".join("?" for _ in AS_OF_DATES)
SPIRITS = {sku for rows in PRODUCTS.values() for sku, _, category, _, _ in rows if category == "spirits"}


@pytest.fixture(scope="module")
def warehouse(handmade_warehouse):
    return handmade_warehouse


@pytest.fixture(scope="module")
def result(warehouse) -> list[Row]:
    rows = warehouse.execute(
        f"select {', '.join(Row._fields)} from marts.top_items_not_carried where as_of_date in ({_PLACEHOLDERS})",
        list(AS_OF_DATES),
    ).fetchall()
    return [Row(*row) for row in rows]


def _rows(result, *, as_of_date=None, store_id=None, sku_id=None) -> list[Row]:
    return [
        r for r in result
        if as_of_date in (None, r.as_of_date) and store_id in (None, r.store_id) and sku_id in (None, r.sku_id)
    ]


def _facts(result, sku_id) -> set[tuple]:
    """What the market says about an item: (as_of_date, market, rank, units, revenue)."""
    return {(r.as_of_date, r.market_id, r.market_rank, r.units_l90, r.revenue_l90)
            for r in _rows(result, sku_id=sku_id)}


def _sort_key(row) -> tuple:
    return tuple(str(value) for value in row)


def test_result_for_the_as_of_dates_is_exactly_the_hand_worked_rows(result):
    actual = sorted((tuple(r) for r in result), key=_sort_key)
    expected = sorted(EXPECTED, key=_sort_key)
    missing = [row for row in expected if row not in actual]
    unexpected = [row for row in actual if row not in expected]
    lines = ["missing:"] + [f"  {row}" for row in missing] + ["unexpected:"] + [f"  {row}" for row in unexpected]
    assert actual == expected, "\n".join(lines + [f"({len(actual)} rows, expected {len(expected)})"])


def test_result_columns_have_the_documented_types(warehouse):
    types = dict(warehouse.execute(
        "select column_name, data_type from information_schema.columns"
        " where table_schema = 'marts' and table_name = 'top_items_not_carried'"
    ).fetchall())
    integers = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"}
    assert types["as_of_date"] == "DATE"
    assert {types[c] for c in ("store_id", "market_id", "sku_id")} == {"VARCHAR"}
    assert {types[c] for c in ("market_rank", "units_l90", "store_rank")} <= integers, types
    assert types["revenue_l90"].startswith("DECIMAL"), types


def test_unmatched_lines_in_the_window_are_counted_per_as_of_date(warehouse):
    rows = warehouse.execute(
        "select as_of_date, unknown_store_lines, unknown_item_lines from marts.order_lines_unmatched"
        f" where as_of_date in ({_PLACEHOLDERS})",
        list(AS_OF_DATES),
    ).fetchall()
    actual = {d: {"unknown_store": int(s), "unknown_item": int(i)} for d, s, i in rows}
    assert len(rows) == len(AS_OF_DATES), rows
    assert actual == EXPECTED_UNMATCHED_LINES


def test_window_counts_d_minus_89_through_d_and_nothing_else(result):
    units = {r.as_of_date: r.units_l90 for r in _rows(result, sku_id="EDGE-WINE")}
    # D1 = Jan 31 (D1-89) 7 + Feb 1 2 + Apr 30 23:59:59 3; D2 = Feb 1 (D2-89) 2 + Apr 30 3 + May 1 (D2) 6.
    # 112/111 means D-90 counted, 5 means D-89 missed, 18 means D+1 counted, 9 means the last second of D missed.
    assert units == {D1: 12, D2: 11}


def test_returns_subtract_units_and_revenue(result):
    assert _facts(result, "WINE-RET") == {(D1, "M1", 6, 6, Decimal("90.00")), (D2, "M1", 5, 6, Decimal("90.00"))}


def test_item_with_net_units_of_zero_or_less_is_not_ranked(result):
    assert _rows(result, sku_id="RET-ZERO") == []
    assert _rows(result, sku_id="RET-NEG") == []


def test_lines_of_an_unknown_store_or_item_are_left_out(result):
    assert _rows(result, sku_id="GHOST") == [] and _rows(result, sku_id="GHOST-2") == []
    assert {r.units_l90 for r in _rows(result, sku_id="BEER-355")} == {20}, "S99's 100 units must not count"


def test_item_of_50_ml_is_not_eligible_and_of_51_ml_is(result):
    assert _rows(result, sku_id="NIP-50") == []
    assert {(r.as_of_date, r.market_rank) for r in _rows(result, sku_id="MINI-51")} == {(D1, 7), (D2, 6)}


def test_seasonal_item_is_recommended_only_in_its_months(result):
    assert {r.as_of_date for r in _rows(result, sku_id="SEAS-IN")} == {D1, D2}, "' 4, 5 ' is April and May"
    assert {r.as_of_date for r in _rows(result, sku_id="SEAS-APR")} == {D1}, "'3,4' is not May"
    assert _rows(result, sku_id="SEAS-OUT") == [], "' 12, 1' is neither April nor May"
    assert {r.as_of_date for r in _rows(result, sku_id="GIN-700")} == {D1, D2}, "no months means all year"


def test_beer_wine_store_is_never_recommended_spirits(result):
    assert {r.sku_id for r in _rows(result, store_id="S12")} & SPIRITS == set()
    assert {r.sku_id for r in _rows(result, store_id="S11")} & SPIRITS == {"GIN-700"}, "full stores get spirits"


def test_inactive_store_gets_no_recommendations(result):
    assert _rows(result, store_id="S13") == []
    assert _rows(result, as_of_date=D2, store_id="S21") == []


def test_store_without_an_inventory_snapshot_for_the_day_gets_nothing(result):
    assert len(_rows(result, as_of_date=D1, store_id="S14")) == 8
    assert _rows(result, as_of_date=D2, store_id="S14") == [], "D1's snapshot must not stand in for D2"
    assert _rows(result, store_id="S16") == []


def test_carried_items_are_left_out_and_items_with_nothing_on_hand_are_recommended(result):
    assert {r.sku_id for r in _rows(result, store_id="S11")} & {"BEER-355", "VODKA-750", "WINE-RET"} == set()
    assert _rows(result, as_of_date=D1, store_id="S14", sku_id="EDGE-WINE") == []
    for store_id, sku_id in [("S11", "SEAS-IN"), ("S14", "GIN-700"), ("S15", "VODKA-750")]:
        assert _rows(result, as_of_date=D1, store_id=store_id, sku_id=sku_id), (store_id, sku_id)


def test_equal_units_are_ranked_by_higher_revenue_then_by_sku_id(result):
    ranks = {r.sku_id: r.market_rank for r in _rows(result, as_of_date=D1) if r.market_id == "M2"}
    assert {sku: ranks.get(sku) for sku in ("TIE-A", "TIE-B", "TIE-C", "TIE-D")} == {
        "TIE-B": 1, "TIE-A": 2, "TIE-C": 3, "TIE-D": 4,
    }


def test_only_the_first_25_items_of_a_market_are_ranked(result):
    assert max(r.market_rank for r in result) == 25
    for as_of_date in AS_OF_DATES:
        s31 = [(r.sku_id, r.market_rank, r.store_rank) for r in _rows(result, as_of_date=as_of_date, store_id="S31")]
        assert sorted(s31) == [("FILL-24", 24, 1), ("FILL-25", 25, 2)], "cut at 25 per market, after eligibility"


def test_every_file_of_a_partition_is_read(result):
    assert _facts(result, "FILL-25") == {(d, "M3", 25, 75, Decimal("150.00")) for d in AS_OF_DATES}, "csv.gz part"
    assert len(_rows(result, as_of_date=D1, store_id="S31")) == 2, "FILL-01..23 are carried per the Parquet part"
    assert {r.units_l90 for r in _rows(result, sku_id="BEER-355")} == {20}, "12 on Mar 16 + 8 in the .csv part"


def test_reference_data_falls_back_to_the_latest_earlier_snapshot(result):
    assert _rows(result, as_of_date=D1, store_id="S13") == [], "closed in the Apr 20 stores snapshot"
    assert {r.market_id for r in _rows(result, as_of_date=D1, store_id="S15")} == {"M2"}, "moved on Apr 20"
    assert {(r.as_of_date, r.market_rank) for r in _rows(result, sku_id="RESIZE", store_id="S11")} == {
        (D1, 8), (D2, 7),
    }, "750 ml in the Apr 25 products snapshot, 50 ml before"


def test_reference_snapshot_after_the_as_of_date_is_not_used(result):
    assert len(_rows(result, as_of_date=D1, store_id="S21")) == 4, "S21 closes only on May 1"
    assert _rows(result, as_of_date=D1, sku_id="NEW-SELTZER") == [], "S16 opens only on May 1"
    assert _facts(result, "NEW-SELTZER") == {(D2, "M2", 6, 1, Decimal("2.99"))}


def test_line_counts_for_the_market_of_its_store_as_of_d(result):
    # S15 sold 2 VODKA-750 in February while in M1; as of D1 and D2 it is in M2.
    assert {(r.market_id, r.units_l90) for r in _rows(result, sku_id="VODKA-750")} == {("M1", 18), ("M2", 2)}


def test_sales_of_an_inactive_store_still_count_for_its_market(result):
    # Rule 3 leaves out only unknown stores: inactive S13's 8 units are part of M1's 18 (S14 shows it at D1).
    assert (D1, "M1", 2, 18, Decimal("449.82")) in _facts(result, "VODKA-750")


def test_store_rank_numbers_a_stores_rows_by_market_rank(result):
    for as_of_date, store_id in {(r.as_of_date, r.store_id) for r in result}:
        rows = sorted(_rows(result, as_of_date=as_of_date, store_id=store_id), key=lambda r: r.market_rank)
        assert [r.store_rank for r in rows] == list(range(1, len(rows) + 1)), (as_of_date, store_id)

