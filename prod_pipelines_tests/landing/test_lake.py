"""The raw layer published as Parquet for Spark: a day is replaced whole, an emptied day disappears."""

from __future__ import annotations

from datetime import date

import duckdb

from prod_pipelines.landing.lake import publish

D1, D2 = date(2025, 5, 1), date(2025, 5, 2)


def _lake_rows(conn: duckdb.DuckDBPyConnection, folder) -> list[tuple]:
    return conn.execute(f"select dt, * exclude (dt) from read_parquet('{folder}/**/*.parquet', "
                        "hive_partitioning = true) order by all").fetchall()


def test_a_republished_day_replaces_its_folder_and_an_emptied_day_loses_it(tmp_path):
    conn = duckdb.connect()
    conn.execute("create schema raw; create table raw.orders (dt date, order_id varchar, _row_number bigint)")
    conn.execute("create table raw.rejects (feed varchar, dt date, file varchar, row_number bigint, rule varchar, "
                 "column_name varchar, value varchar)")
    conn.execute("insert into raw.orders values (?, 'O1', 1), (?, 'O2', 2), (?, 'O3', 1)", [D1, D1, D2])
    conn.execute("insert into raw.rejects values ('orders', ?, 'f.csv', 3, 'not_null', 'order_id', '')", [D1])
    publish(conn, "orders", [D1, D2], tmp_path)
    assert _lake_rows(conn, tmp_path / "orders") == [(D1, "O1", 1), (D1, "O2", 2), (D2, "O3", 1)]
    assert _lake_rows(conn, tmp_path / "rejects") == [(D1, "f.csv", 3, "not_null", "order_id", "", "orders")]

    conn.execute("delete from raw.orders where order_id in ('O2', 'O3')")  # a re-run: D1 smaller, D2 empty
    conn.execute("delete from raw.rejects")
    publish(conn, "orders", [D1, D2], tmp_path)
    assert _lake_rows(conn, tmp_path / "orders") == [(D1, "O1", 1)]
    assert sorted(p.name for p in (tmp_path / "orders").iterdir()) == [f"dt={D1}"]  # nothing staged or retired left
    assert not any((tmp_path / "rejects" / "feed=orders").iterdir())
