"""The hand-built landing zone keeps the landing contract (spec §1) and its expected rows stay coherent.

Needs no pipeline: it only writes the fixture and reads it back with DuckDB.
"""

from datetime import date

import duckdb
import pytest

from prod_pipelines_tests.support.handmade import (
    AS_OF_DATES,
    EXPECTED,
    EXPECTED_UNMATCHED_LINES,
    FIRST_DAY,
    days,
    write_handmade_landing,
)

EXACT_COLUMNS = {  # spec §1, literally
    "stores": ("store_id", "store_name", "market_id", "license_type", "is_active"),
    "products": ("sku_id", "sku_name", "category", "volume_ml", "seasonal_months"),
    "orders": ("order_id", "line_number", "store_id", "sku_id", "quantity", "line_amount", "ordered_at"),
    "inventory": ("snapshot_date", "store_id", "sku_id", "on_hand_qty"),
}


@pytest.fixture(scope="module")
def landing(tmp_path_factory):
    root = tmp_path_factory.mktemp("handmade")
    write_handmade_landing(root)
    return root / "landing"


@pytest.fixture(scope="module")
def con():
    con = duckdb.connect()
    yield con
    con.close()


def _folders(landing, feed) -> list[date]:
    return sorted(date.fromisoformat(p.name.removeprefix("dt=")) for p in (landing / feed).iterdir())


def _csv(landing, feed) -> str:
    return (f"read_csv('{landing}/{feed}/*/*.csv*', header=true, all_varchar=true, filename=true, "
            "hive_partitioning=false)")


def _dt(column="filename") -> str:
    return f"regexp_extract({column}, 'dt=([0-9-]+)', 1)"


def test_orders_and_inventory_have_a_folder_for_every_day_up_to_the_last_as_of_date(landing):
    for feed in ("orders", "inventory"):
        assert _folders(landing, feed) == days(FIRST_DAY, max(AS_OF_DATES)), feed


def test_first_day_is_the_earliest_folder_and_all_dates_are_in_range(landing):
    folders = [d for feed in EXACT_COLUMNS for d in _folders(landing, feed)]
    assert min(folders) == FIRST_DAY
    assert date(2025, 1, 1) <= FIRST_DAY and max(folders) <= date(2025, 6, 30)


def test_the_first_as_of_date_has_no_reference_partition_so_it_falls_back(landing):
    assert min(AS_OF_DATES) not in _folders(landing, "stores")
    assert min(AS_OF_DATES) not in _folders(landing, "products")


def test_every_file_has_exactly_the_contract_columns(landing, con):
    for feed, columns in EXACT_COLUMNS.items():
        for path in (landing / feed).glob("*/*"):
            reader = "read_parquet" if path.suffix == ".parquet" else "read_csv"
            options = ", hive_partitioning=false" + ("" if reader == "read_parquet"
                                                      else ", header=true, all_varchar=true")
            names = [r[0] for r in con.execute(f"describe select * from {reader}('{path}'{options})").fetchall()]
            assert tuple(names) == columns, path


def test_order_lines_are_dated_by_their_folder_and_unique(landing, con):
    orders = _csv(landing, "orders")
    assert con.execute(f"select count(*) from {orders}").fetchone()[0] > 0
    misdated = con.execute(
        f"select * from {orders}"
        " where not regexp_full_match(ordered_at, '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ')"
        f" or left(ordered_at, 10) <> {_dt()}"
    ).fetchall()
    assert misdated == []
    duplicates = con.execute(
        f"select order_id, line_number from {orders} group by all having count(*) > 1"
    ).fetchall()
    assert duplicates == []


def test_order_values_are_in_their_domains(landing, con):
    bad = con.execute(
        f"select * from {_csv(landing, 'orders')} where line_number::int < 1 or quantity::int = 0"
        " or sign(quantity::int) <> sign(line_amount::decimal(18, 2))"
    ).fetchall()
    assert bad == []


def test_snapshots_are_dated_by_their_folder_and_keyed_uniquely(landing, con):
    inventory = (
        f"(select snapshot_date, store_id, sku_id, on_hand_qty::int as q, filename from {_csv(landing, 'inventory')}"
        f" union all select snapshot_date::varchar, store_id, sku_id, on_hand_qty, filename"
        f" from read_parquet('{landing}/inventory/*/*.parquet', filename=true, hive_partitioning=false))"
    )
    assert con.execute(f"select count(*) from {inventory} where snapshot_date <> {_dt()} or q < 0").fetchone()[0] == 0
    for relation, key in [(inventory, "store_id, sku_id"), (_csv(landing, "stores"), "store_id"),
                          (_csv(landing, "products"), "sku_id")]:
        dupes = con.execute(f"select {_dt()}, {key} from {relation} group by all having count(*) > 1").fetchall()
        assert dupes == [], key


def test_reference_values_are_in_their_domains(landing, con):
    stores = con.execute(
        f"select * from {_csv(landing, 'stores')}"
        " where license_type not in ('full', 'beer_wine') or is_active not in ('true', 'false') or market_id is null"
    ).fetchall()
    assert stores == []
    products = con.execute(
        f"select * from {_csv(landing, 'products')}"
        " where category not in ('spirits', 'wine', 'beer', 'seltzer', 'other')"
        " or volume_ml::int <= 0 or exists (select 1 from unnest(string_split(coalesce(seasonal_months, ''), ',')) m(v)"
        "   where trim(v) <> '' and coalesce(try_cast(trim(v) as int), 0) not between 1 and 12)"
    ).fetchall()
    assert products == []


def test_expected_rows_are_unique_per_date_store_and_item():
    keys = [(d, store, sku) for d, store, _, sku, *_ in EXPECTED]
    assert len(keys) == len(set(keys))
    assert {row[0] for row in EXPECTED} == set(AS_OF_DATES) == set(EXPECTED_UNMATCHED_LINES)


def test_expected_store_ranks_follow_market_ranks_from_one():
    for as_of_date, store_id in {(row[0], row[1]) for row in EXPECTED}:
        rows = sorted((r for r in EXPECTED if r[:2] == (as_of_date, store_id)), key=lambda r: r[4])
        assert [r[7] for r in rows] == list(range(1, len(rows) + 1)), (as_of_date, store_id)


def test_expected_market_facts_agree_across_stores_and_with_the_ranks():
    facts = {}
    for as_of_date, _, market_id, sku_id, market_rank, units, revenue, _ in EXPECTED:
        key = (as_of_date, market_id, sku_id)
        assert facts.setdefault(key, (market_rank, units, revenue)) == (market_rank, units, revenue), key
    markets = {}
    for (as_of_date, market_id, sku_id), (rank, units, revenue) in facts.items():
        assert 1 <= rank <= 25 and units > 0, (as_of_date, market_id, sku_id)
        markets.setdefault((as_of_date, market_id), []).append((rank, (-units, -revenue, sku_id)))
    for market, items in markets.items():
        by_rank = [order for _, order in sorted(items)]
        assert by_rank == sorted(set(by_rank)), f"{market}: ranks disagree with units, revenue, sku_id"
