"""The landing contract of spec §1, one entry per feed: column types, then row rules in pandera.

Validation runs in two vectorised passes: parsing text into the column's type (a value that does not
parse is a row violation that keeps its raw text), then pandera's rules on the typed frame (polars
backend). Keeping them apart means a type error never cascades into confusing follow-on failures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandera.polars as pa
import polars as pl

from prod_pipelines.landing.history import Bounds

MONTH_LIST = r"^\s*(0?[1-9]|1[0-2])\s*(,\s*(0?[1-9]|1[0-2])\s*)*$"
SQL_TYPES = {
    "string": "varchar",
    "integer": "bigint",
    "decimal": "decimal(18, 4)",
    "boolean": "boolean",
    "timestamp": "timestamptz",
    "date": "date",
}


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    nullable: bool = False

    def parse_sql(self) -> str:
        """DuckDB expression turning the text column into its type, NULL when it does not parse.

        Blank text is NULL in every column: CSV cannot tell an empty string from a missing value.
        """
        if self.kind == "string":
            return f"case when trim({self.name}) <> '' then {self.name} end"
        if self.kind == "boolean":
            return f"case lower(trim({self.name})) when 'true' then true when 'false' then false end"
        if self.kind == "integer":
            # A cast alone would round '2.5' to 3 and read '1e3' as 1000: only whole-number text is an integer.
            return (f"case when regexp_full_match(trim({self.name}), '[+-]?[0-9]+') "
                    f"then try_cast(trim({self.name}) as bigint) end")
        return f"try_cast(trim({self.name}) as {SQL_TYPES[self.kind]})"


@dataclass(frozen=True)
class Contract:
    """One feed's columns and the key that must be unique within a partition."""

    feed: str
    columns: tuple[Column, ...]
    unique: tuple[str, ...]
    is_snapshot: bool
    published_daily: bool
    # A snapshot that shrinks far beyond normal is a broken delivery (blocks); order lines vary with demand (warns).
    count_bounds: Bounds = field(default_factory=Bounds)
    count_blocks: bool = True

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def sql_columns(self) -> str:
        return ", ".join(f"{c.name} {SQL_TYPES[c.kind]}" for c in self.columns)


def _on_partition_day(kind: str, day: date) -> pa.Check:
    def check(data):
        value = pl.col(data.key)
        as_date = value.dt.convert_time_zone("UTC").dt.date() if kind == "timestamp" else value
        return data.lazyframe.select((as_date == day).fill_null(True))
    return pa.Check(check, name="equals_partition_date")


def _first_of_key(keys: tuple[str, ...]) -> pa.Check:
    return pa.Check(lambda data: data.lazyframe.select(pl.struct(list(keys)).is_first_distinct()), name="duplicate")


def _same_sign() -> pa.Check:
    def check(data):
        same = pl.col("quantity").sign() == pl.col("line_amount").cast(pl.Float64).sign()
        return data.lazyframe.select(same.fill_null(True))
    return pa.Check(check, name="same_sign_as_quantity")


def domain_schema(contract: Contract, day: date) -> pa.DataFrameSchema:
    """Pandera rules on the typed frame of partition `day` (types are already settled by parsing)."""
    rules: dict[str, list[pa.Check]] = {
        "license_type": [pa.Check.isin(["full", "beer_wine"])],
        "category": [pa.Check.isin(["spirits", "wine", "beer", "seltzer", "other"])],
        "volume_ml": [pa.Check.gt(0)],
        "seasonal_months": [pa.Check.str_matches(MONTH_LIST, name="month_list_1_to_12")],
        "line_number": [pa.Check.ge(1)],
        "quantity": [pa.Check.ne(0)],
        "on_hand_qty": [pa.Check.ge(0)],
    }
    for c in contract.columns:
        if c.kind in ("timestamp", "date"):
            rules[c.name] = [_on_partition_day(c.kind, day)]
    frame_checks = [_first_of_key(contract.unique)] + ([_same_sign()] if contract.feed == "orders" else [])
    return pa.DataFrameSchema(
        {c.name: pa.Column(checks=rules.get(c.name, []), nullable=c.nullable) for c in contract.columns},
        checks=frame_checks,
        strict=False,
    )


CONTRACTS: dict[str, Contract] = {
    "stores": Contract(
        "stores",
        (Column("store_id", "string"), Column("store_name", "string", nullable=True),
         Column("market_id", "string"), Column("license_type", "string"), Column("is_active", "boolean")),
        unique=("store_id",), is_snapshot=True, published_daily=False),
    "products": Contract(
        "products",
        (Column("sku_id", "string"), Column("sku_name", "string", nullable=True), Column("category", "string"),
         Column("volume_ml", "integer"), Column("seasonal_months", "string", nullable=True)),
        unique=("sku_id",), is_snapshot=True, published_daily=False),
    "orders": Contract(
        "orders",
        (Column("order_id", "string"), Column("line_number", "integer"), Column("store_id", "string"),
         Column("sku_id", "string"), Column("quantity", "integer"), Column("line_amount", "decimal"),
         Column("ordered_at", "timestamp")),
        unique=("order_id", "line_number"), is_snapshot=False, published_daily=True,
        count_bounds=Bounds(low=0.3, high=3.0), count_blocks=False),
    "inventory": Contract(
        "inventory",
        (Column("snapshot_date", "date"), Column("store_id", "string"), Column("sku_id", "string"),
         Column("on_hand_qty", "integer")),
        unique=("store_id", "sku_id"), is_snapshot=True, published_daily=True),
}
FEEDS = tuple(CONTRACTS)
