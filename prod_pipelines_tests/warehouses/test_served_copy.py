"""The served copy and the read-back interface without a Spark server: the DuckDB side of both.

The Spark side is proven end to end against a real Thrift server in ops/test_spark_pipeline.py.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from prod_pipelines.warehouses import serving
from prod_pipelines.warehouses.built import DuckDBBuilt, Rows, duckdb_type

D1, D2, D3 = date(2025, 5, 1), date(2025, 5, 2), date(2025, 5, 3)


class Engine:
    """What an engine returns for a window: Spark's column order (the partition column last)."""

    def __init__(self, rows: list[tuple]):
        self.rows = rows

    def window(self, relation, column, first, last) -> Rows:
        return Rows(["store_id", "items", "as_of_date"], ["varchar", "bigint", "date"],
                    [r for r in self.rows if first <= r[2] <= last])


@pytest.mark.parametrize(("spark", "duck"), [("string", "varchar"), ("int", "integer"), ("bigint", "bigint"),
                                             ("decimal(38,4)", "decimal(38,4)"), ("varchar(20)", "varchar"),
                                             ("date", "date"), ("timestamp_ntz", "timestamp"), ("DOUBLE", "double")])
def test_spark_types_get_duckdbs_names(spark, duck):
    assert duckdb_type(spark) == duck


def test_a_type_the_pipeline_does_not_use_is_refused_by_name():
    with pytest.raises(ValueError, match="map<string,int>"):
        duckdb_type("map<string,int>")


def test_a_served_window_is_replaced_whole_in_declared_order_and_other_days_are_kept():
    conn = duckdb.connect()
    served = {"exports.top": ("as_of_date", ["as_of_date", "store_id", "items"])}
    first = Engine([("S1", 3, D1), ("S2", 1, D1), ("S1", 4, D2), ("S1", 9, D3)])
    assert serving.copy_window(first, conn, served, D1, D3) == {"exports.top": 4}
    rerun = Engine([("S1", 5, D2)])  # D2 rebuilt with fewer rows, D3 now empty; D1 outside the window
    assert serving.copy_window(rerun, conn, served, D2, D3) == {"exports.top": 1}
    assert [c for (c,) in conn.execute("select column_name from information_schema.columns "
                                       "where table_name = 'top' order by ordinal_position").fetchall()] == \
        ["as_of_date", "store_id", "items"]
    assert conn.execute("select * from exports.top order by all").fetchall() == [
        (D1, "S1", 3), (D1, "S2", 1), (D2, "S1", 5)]


def test_duckdb_reads_back_rows_per_day_and_a_window_with_its_types():
    conn = duckdb.connect()
    conn.execute("create schema marts; create table marts.m (as_of_date date, n decimal(38, 4))")
    conn.execute("insert into marts.m values (?, 1.5), (?, 2), (?, 3)", [D1, D1, D3])
    built = DuckDBBuilt(conn)
    assert built.rows_per_day("marts.m", "as_of_date", D1, D2) == {D1: 2}
    window = built.window("marts.m", "as_of_date", D3, D3)
    assert (window.columns, window.types, len(window.values)) == (["as_of_date", "n"], ["DATE", "DECIMAL(38,4)"], 1)
