"""What dbt built, read back by the pipeline: the one interface in Python that speaks to the engine.

dbt builds either in the DuckDB file (the default) or on Apache Spark (`PROD_PIPELINES_WAREHOUSE=spark`,
docs/scaling.md). The pipeline reads three things back from what it built, and only these, each as
a plain query every engine runs: a table model's rows per day (`dagster/row_count`), a data test's
stored failing rows (the per-day verdicts), and a window of a model's rows with its column types
(the served copy, serving.py). Everything else the pipeline reads lives in the DuckDB file, which
is the control plane's store on every engine.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

import duckdb

from prod_pipelines.warehouse import Warehouse
from prod_pipelines.warehouses.spark import spark_cursor


@dataclass(frozen=True)
class Rows:
    """Rows of a query with their column names and the engine's column types, as DuckDB names them."""

    columns: list[str]
    types: list[str]
    values: list[tuple]

    def dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.values]


class BuiltRelations(Protocol):
    def rows_per_day(self, relation: str, column: str, first: date, last: date) -> dict[date, int]:
        """Rows of `relation` per day of its `column` in [first, last]; days without rows are absent."""

    def rows(self, relation: str, limit: int) -> Rows:
        """Up to `limit` rows of `relation` (a stored-failures view), in no particular order."""

    def window(self, relation: str, column: str, first: date, last: date) -> Rows:
        """The rows of `relation` whose `column` is in [first, last], with the relation's column types."""


class DuckDBBuilt:
    """dbt built in the warehouse file itself: read it on the pipeline's own connection."""

    def __init__(self, conn: duckdb.DuckDBPyConnection):
        self.conn = conn

    def rows_per_day(self, relation: str, column: str, first: date, last: date) -> dict[date, int]:
        return dict(self.conn.execute(f"select {column}, count(*) from {relation} where {column} between ? and ? "
                                      "group by 1", [first, last]).fetchall())

    def rows(self, relation: str, limit: int) -> Rows:
        return self._rows(self.conn.execute(f"select * from {relation} limit {int(limit)}"))

    def window(self, relation: str, column: str, first: date, last: date) -> Rows:
        return self._rows(self.conn.execute(f"select * from {relation} where {column} between ? and ?",
                                            [first, last]))

    @staticmethod
    def _rows(cursor: duckdb.DuckDBPyConnection) -> Rows:
        return Rows([d[0] for d in cursor.description], [str(d[1]) for d in cursor.description], cursor.fetchall())


class SparkBuilt:
    """dbt built on Spark: read through its Thrift server (HiveServer2 protocol), as dbt-spark connects."""

    def __init__(self, cursor: Any):
        self.cursor = cursor

    def rows_per_day(self, relation: str, column: str, first: date, last: date) -> dict[date, int]:
        self.cursor.execute(f"select cast({column} as string), count(*) from {relation} "
                            f"where {column} between date'{first.isoformat()}' and date'{last.isoformat()}' group by 1")
        return {date.fromisoformat(day): count for day, count in self.cursor.fetchall()}

    def rows(self, relation: str, limit: int) -> Rows:
        self.cursor.execute(f"select * from {relation} limit {int(limit)}")
        return self._rows(relation)

    def window(self, relation: str, column: str, first: date, last: date) -> Rows:
        self.cursor.execute(f"select * from {relation} "
                            f"where {column} between date'{first.isoformat()}' and date'{last.isoformat()}'")
        return self._rows(relation)

    def _rows(self, relation: str) -> Rows:
        columns = [d[0].rpartition(".")[2] for d in self.cursor.description]
        values = self.cursor.fetchall()
        types = self._types(relation)
        return Rows(columns, [types.get(c, "varchar") for c in columns],
                    [tuple(_typed(v, types.get(c, "")) for v, c in zip(row, columns, strict=True)) for row in values])

    def _types(self, relation: str) -> dict[str, str]:
        """The relation's column types in DuckDB's words, from Spark's `describe` (the Thrift result only
        names a type's family: a decimal's precision and scale would be lost)."""
        self.cursor.execute(f"describe {relation}")
        types = {}
        for name, kind, *_ in self.cursor.fetchall():
            if not name or name.startswith("#"):
                break  # the partition section repeats the columns
            types[name] = duckdb_type(kind)
        return types


SPARK_TO_DUCKDB = {"string": "varchar", "int": "integer", "integer": "integer", "bigint": "bigint",
                   "smallint": "smallint", "tinyint": "tinyint", "double": "double", "float": "float",
                   "boolean": "boolean", "date": "date", "timestamp": "timestamp", "timestamp_ntz": "timestamp"}


def duckdb_type(spark_type: str) -> str:
    """DuckDB's name for a Spark column type; a type outside the pipeline's (maps, structs) is refused."""
    kind = spark_type.strip().lower()
    if re.fullmatch(r"decimal\(\d+,\s*\d+\)", kind):
        return kind
    if re.fullmatch(r"(var)?char\(\d+\)", kind):
        return "varchar"
    if kind not in SPARK_TO_DUCKDB:
        raise ValueError(f"Spark column type {spark_type!r} has no DuckDB counterpart in this pipeline")
    return SPARK_TO_DUCKDB[kind]


def _typed(value: Any, kind: str) -> Any:
    """A value as DuckDB takes it: the Thrift protocol sends dates as text."""
    if value is None:
        return None
    if kind == "date" and isinstance(value, str):
        return date.fromisoformat(value)
    return value


@contextmanager
def read_back(warehouse: Warehouse) -> Iterator[BuiltRelations]:
    """What dbt built, to read back: the warehouse file itself, or the Spark Thrift server."""
    if warehouse.on_spark:
        with spark_cursor(warehouse.spark_host, warehouse.spark_port) as cursor:
            yield SparkBuilt(cursor)
    else:
        with warehouse.connect(read_only=True) as conn:
            yield DuckDBBuilt(conn)
