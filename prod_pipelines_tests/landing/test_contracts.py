"""The landing contract: bad rows are kept with a reason, broken files stop the partition."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from prod_pipelines.landing.contracts import CONTRACTS
from prod_pipelines.landing.loader import ensure_tables, load_partition, load_range
from prod_pipelines.landing.zone import LandingError

DAY = date(2025, 2, 3)
ORDERS_HEADER = "order_id,line_number,store_id,sku_id,quantity,line_amount,ordered_at"


def write(landing: Path, feed: str, name: str, text: str, day: date = DAY) -> Path:
    folder = landing / feed / f"dt={day.isoformat()}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)
    return folder / name


@pytest.fixture
def warehouse():
    conn = duckdb.connect()
    for contract in CONTRACTS.values():
        ensure_tables(conn, contract)
    yield conn
    conn.close()


def test_bad_order_rows_are_rejected_with_their_rule_and_the_rest_are_loaded(tmp_path, warehouse):
    write(tmp_path, "orders", "a.csv", "\n".join([
        ORDERS_HEADER,
        "o1,1,S1,K1,2,20.00,2025-02-03T10:00:00Z",   # good
        ",1,S1,K1,2,20.00,2025-02-03T10:00:00Z",     # null order_id
        "o2,1,S1,K1,0,0.00,2025-02-03T10:00:00Z",    # quantity 0
        "o3,1,S1,K1,2,-20.00,2025-02-03T10:00:00Z",  # amount of the wrong sign
        "o4,1,S1,K1,2,20.00,2025-02-04T10:00:00Z",   # not the folder's date
        "o1,1,S1,K1,2,20.00,2025-02-03T10:00:00Z",   # duplicate line
        "o5,x,S1,K1,2,20.00,2025-02-03T10:00:00Z",   # line_number not an integer
        "o6,1,S1,K1,-1,-9.50,2025-02-03T11:00:00Z",  # a return: good
    ]) + "\n")
    load = load_partition(warehouse, CONTRACTS["orders"], tmp_path, DAY)
    assert (load.rows_read, load.rows_accepted, load.rows_rejected) == (8, 2, 6)
    rejects = dict(warehouse.execute("select row_number, rule from raw.rejects order by row_number").fetchall())
    assert rejects == {
        2: "order_id: not_nullable",
        3: "quantity: not_equal_to(0)",
        4: "line_amount: same_sign_as_quantity",
        5: "ordered_at: equals_partition_date",
        6: "order_id+line_number: duplicate",
        7: "line_number: not a integer",
    }
    assert warehouse.execute("select list(order_id order by order_id) from raw.orders").fetchone()[0] == ["o1", "o6"]


def test_a_range_stops_at_the_broken_day_with_the_days_before_it_loaded(tmp_path, warehouse):
    days = [DAY + timedelta(days=i) for i in range(3)]
    for day in days:
        write(tmp_path, "inventory", "inv.csv", f"snapshot_date,store_id,sku_id,on_hand_qty\n{day},S1,K1,3\n", day)
    broken = write(tmp_path, "inventory", "inv.csv", "snapshot_date,store_id,sku_id,qty\n2025-02-04,S1,K1,3\n", days[1])
    result = load_range(warehouse, CONTRACTS["inventory"], tmp_path, days)
    assert [load.day for load in result.loads] == days[:1]
    assert str(broken.relative_to(tmp_path)) in str(result.stop)
    assert warehouse.execute("select list(distinct dt) from raw.inventory").fetchone()[0] == days[:1]


def test_a_missing_column_stops_the_partition_naming_feed_file_and_column(tmp_path, warehouse):
    path = write(tmp_path, "inventory", "inv.csv", "snapshot_date,store_id,sku_id,qty\n2025-02-03,S1,K1,3\n")
    with pytest.raises(LandingError) as caught:
        load_partition(warehouse, CONTRACTS["inventory"], tmp_path, DAY)
    message = str(caught.value)
    assert message.startswith("inventory:") and "on_hand_qty" in message
    assert str(path.relative_to(tmp_path)) in message
    assert warehouse.execute("select count(*) from raw.inventory").fetchone()[0] == 0


def test_a_column_with_no_value_of_its_type_is_a_schema_change_not_bad_rows(tmp_path, warehouse):
    write(tmp_path, "inventory", "inv.csv", "snapshot_date,store_id,sku_id,on_hand_qty\n"
          "2025-02-03,S1,K1,many\n2025-02-03,S1,K2,few\n")
    with pytest.raises(LandingError, match="column on_hand_qty: no value is a integer"):
        load_partition(warehouse, CONTRACTS["inventory"], tmp_path, DAY)


def test_a_daily_feed_without_a_folder_has_not_arrived_and_stops(tmp_path, warehouse):
    with pytest.raises(LandingError, match="has not arrived"):
        load_partition(warehouse, CONTRACTS["orders"], tmp_path, DAY)


def test_a_reference_feed_may_skip_a_day(tmp_path, warehouse):
    load = load_partition(warehouse, CONTRACTS["stores"], tmp_path, DAY)
    assert not load.arrived and load.rows_read == 0


def test_an_empty_snapshot_stops_the_partition(tmp_path, warehouse):
    write(tmp_path, "stores", "s.csv", "store_id,store_name,market_id,license_type,is_active\n")
    with pytest.raises(LandingError, match="empty snapshot"):
        load_partition(warehouse, CONTRACTS["stores"], tmp_path, DAY)


def test_reloading_a_partition_replaces_it_including_rows_that_disappeared(tmp_path, warehouse):
    write(tmp_path, "orders", "a.csv", f"{ORDERS_HEADER}\no1,1,S1,K1,1,1.00,2025-02-03T10:00:00Z\n"
          "o1,2,S1,K2,1,1.00,2025-02-03T10:00:00Z\n")
    load_partition(warehouse, CONTRACTS["orders"], tmp_path, DAY)
    write(tmp_path, "orders", "a.csv", f"{ORDERS_HEADER}\no1,1,S1,K1,1,1.00,2025-02-03T10:00:00Z\n")
    load_partition(warehouse, CONTRACTS["orders"], tmp_path, DAY)
    assert warehouse.execute("select count(*) from raw.orders").fetchone()[0] == 1


def test_an_unreadable_file_stops_the_partition_with_its_name(tmp_path, warehouse):
    write(tmp_path, "orders", "broken.parquet", "this is not parquet")
    with pytest.raises(LandingError, match="broken.parquet: unreadable file"):
        load_partition(warehouse, CONTRACTS["orders"], tmp_path, DAY)


def test_a_snapshot_that_drops_far_below_its_weekday_median_blocks_and_growth_only_warns(warehouse):
    import dagster as dg

    from prod_pipelines.assets.raw_checks import row_count_results
    from prod_pipelines.landing.loader import PartitionLoad

    mondays = [date(2025, 1, 6) + timedelta(weeks=w) for w in range(5)]
    for day, rows in zip(mondays, [10, 10, 10, 100, 2], strict=True):
        warehouse.execute("insert into raw.inventory select ?, ?, 'S' || i, 'K1', 1, 'f.csv', i from range(?) t(i)",
                          [day, day, rows])
    key = dg.AssetKey(["raw", "inventory"])
    grew, dropped = row_count_results(warehouse, key, CONTRACTS["inventory"],
                                      [PartitionLoad(day=d) for d in mondays[3:]])
    assert (grew.day, grew.passed, grew.severity) == (mondays[3], False, dg.AssetCheckSeverity.WARN)
    assert (dropped.day, dropped.passed, dropped.severity) == (mondays[4], False, dg.AssetCheckSeverity.ERROR)
    assert dropped.metadata["observed_rows"] == 2 and dropped.metadata["same_weekday_median"] == 10
    assert dropped.blocks_day and not grew.blocks_day


@pytest.mark.parametrize(("feed", "header", "row", "column"), [
    ("orders", ORDERS_HEADER, "o1,{v},S1,K1,2,20.00,2025-02-03T10:00:00Z", "line_number"),
    ("orders", ORDERS_HEADER, "o1,1,S1,K1,{v},20.00,2025-02-03T10:00:00Z", "quantity"),
    ("inventory", "snapshot_date,store_id,sku_id,on_hand_qty", "2025-02-03,S1,K1,{v}", "on_hand_qty"),
    ("products", "sku_id,sku_name,category,volume_ml,seasonal_months", "K1,Gin,spirits,{v},", "volume_ml"),
])
@pytest.mark.parametrize("value", ["2.5", "1e3", "3.0"])
def test_integer_columns_reject_text_that_is_not_a_whole_number(tmp_path, warehouse, feed, header, row, column, value):
    good = row.format(v="7").replace("o1,", "o0,").replace("S1,K1", "S0,K0").replace("K1,Gin", "K0,Gin")
    write(tmp_path, feed, "f.csv", f"{header}\n{good}\n{row.format(v=value)}\n")
    load = load_partition(warehouse, CONTRACTS[feed], tmp_path, DAY)
    assert (load.rows_accepted, load.rows_rejected) == (1, 1)
    assert warehouse.execute("select rule, value from raw.rejects").fetchall() == [(f"{column}: not a integer", value)]


def test_a_parquet_integer_column_is_judged_by_its_type(tmp_path, warehouse):
    """An int64 column loads; a float64 column for an integer field is a schema change that stops the
    partition, naming the file and column, even when some of its values happen to be whole."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = tmp_path / "inventory" / f"dt={DAY.isoformat()}"
    folder.mkdir(parents=True)
    base = {"snapshot_date": [DAY, DAY, DAY], "sku_id": ["K1", "K1", "K1"]}
    pq.write_table(pa.table({**base, "store_id": ["S1", "S2", "S3"], "on_hand_qty": pa.array([4, 0, 7], pa.int64())}),
                   folder / "a.parquet")
    load = load_partition(warehouse, CONTRACTS["inventory"], tmp_path, DAY)
    assert (load.rows_accepted, load.rows_rejected) == (3, 0)
    pq.write_table(pa.table({**base, "store_id": ["S4", "S5", "S6"], "on_hand_qty": pa.array([2.5, 3.0, 1e3])}),
                   folder / "b.parquet")
    with pytest.raises(LandingError, match=r"b\.parquet: column on_hand_qty: no value is a integer"):
        load_partition(warehouse, CONTRACTS["inventory"], tmp_path, DAY)
    assert warehouse.execute("select count(*) from raw.inventory").fetchone()[0] == 3  # the last good load stays


def test_files_of_one_partition_may_order_their_columns_differently_and_add_columns(tmp_path, warehouse):
    write(tmp_path, "orders", "a.csv", f"{ORDERS_HEADER}\no1,1,S1,K1,2,20.00,2025-02-03T10:00:00Z\n"
          "o1,2,S1,K2,1,5.00,2025-02-03T10:00:00Z\n")
    write(tmp_path, "orders", "b.csv", "note,ordered_at,line_amount,quantity,sku_id,store_id,line_number,order_id\n"
          "hi,2025-02-03T11:00:00Z,7.50,3,K3,S2,1,o2\nhey,2025-02-03T11:00:00Z,0,0,K3,S2,2,o2\n")
    load = load_partition(warehouse, CONTRACTS["orders"], tmp_path, DAY)
    assert (load.rows_read, load.rows_accepted, load.rows_rejected) == (4, 3, 1)
    rows = warehouse.execute("select _source_file, _row_number, order_id, sku_id, quantity from raw.orders "
                             "order by _source_file, _row_number").fetchall()
    assert rows == [("orders/dt=2025-02-03/a.csv", 1, "o1", "K1", 2), ("orders/dt=2025-02-03/a.csv", 2, "o1", "K2", 1),
                    ("orders/dt=2025-02-03/b.csv", 1, "o2", "K3", 3)]
    assert warehouse.execute("select file, row_number, rule from raw.rejects").fetchall() == [
        ("orders/dt=2025-02-03/b.csv", 2, "quantity: not_equal_to(0)")]


def test_a_file_unreadable_past_its_header_stops_the_range_at_its_day(tmp_path, warehouse):
    days = [DAY + timedelta(days=i) for i in range(3)]
    for day in days:
        write(tmp_path, "orders", "a.csv", f"{ORDERS_HEADER}\no{day.day},1,S1,K1,2,20.00,{day}T10:00:00Z\n", day)
    ragged = f"{ORDERS_HEADER}\no9,1,S1,K1,2,20.00,{days[1]}T10:00:00Z,extra,fields\n"
    broken = write(tmp_path, "orders", "b.csv", ragged, days[1])
    result = load_range(warehouse, CONTRACTS["orders"], tmp_path, days)
    assert [load.day for load in result.loads] == days[:1]
    assert result.stop.location == str(broken) and "unreadable file" in result.stop.problem
    assert warehouse.execute("select list(order_id) from raw.orders").fetchone()[0] == ["o3"]


def test_a_range_loads_in_batches_of_whole_days_with_the_same_result(tmp_path, warehouse):
    days = [DAY + timedelta(days=i) for i in range(5)]
    for day in days:
        write(tmp_path, "orders", "a.csv", f"{ORDERS_HEADER}\no{day.day},1,S1,K1,2,20.00,{day}T10:00:00Z\n"
              f"o{day.day},1,S1,K1,2,20.00,{day}T10:00:00Z\n", day)
    one_per_batch = load_range(warehouse, CONTRACTS["orders"], tmp_path, days, batch_bytes=1)
    by_batch = warehouse.execute("select * exclude (loaded_at) from raw.partition_loads order by dt").fetchall()
    all_at_once = load_range(warehouse, CONTRACTS["orders"], tmp_path, days)
    assert [x.rows_rejected for x in one_per_batch.loads] == [x.rows_rejected for x in all_at_once.loads] == [1] * 5
    assert warehouse.execute("select * exclude (loaded_at) from raw.partition_loads order by dt").fetchall() == by_batch
    assert warehouse.execute("select count(*), count(distinct dt) from raw.orders").fetchone() == (5, 5)
