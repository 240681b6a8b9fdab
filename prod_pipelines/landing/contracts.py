"""The landing contract of spec §1, one entry per feed: column types, then row rules in pandera.

Validation runs in two vectorised passes over text columns: parsing (a value that is not of its
column's type is a row violation that keeps the raw text), then pandera's domain rules on the typed
frame. Keeping them apart means a type error never cascades into confusing follow-on failures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import pandera.pandas as pa

INTEGER = r"\s*[+-]?\d+\s*"
DECIMAL = r"\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*"
MONTH_LIST = r"\s*(0?[1-9]|1[0-2])\s*(,\s*(0?[1-9]|1[0-2])\s*)*"
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


@dataclass(frozen=True)
class Contract:
    """One feed's columns and the key that must be unique within a partition."""

    feed: str
    columns: tuple[Column, ...]
    unique: tuple[str, ...]
    is_snapshot: bool
    published_daily: bool

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def sql_select(self) -> str:
        """Casts the accepted text columns into the warehouse types."""
        parts = []
        for c in self.columns:
            value = c.name if c.kind == "string" else f"trim({c.name})"
            parts.append(f"cast({value} as {SQL_TYPES[c.kind]}) as {c.name}")
        return ", ".join(parts)

    def sql_columns(self) -> str:
        return ", ".join(f"{c.name} {SQL_TYPES[c.kind]}" for c in self.columns)


def parse(column: Column, text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Typed values, and a mask of non-null texts that are not of the column's type."""
    present = text.notna()
    as_str = text.astype("string")
    if column.kind == "string":
        return text, pd.Series(False, index=text.index)
    if column.kind in ("integer", "decimal"):
        pattern = INTEGER if column.kind == "integer" else DECIMAL
        ok = as_str.str.fullmatch(pattern).fillna(False).astype(bool)
        values = pd.to_numeric(as_str.where(ok), errors="coerce")
        return (values.astype("Int64") if column.kind == "integer" else values.astype("Float64")), present & ~ok
    if column.kind == "boolean":
        lowered = as_str.str.strip().str.lower()
        ok = lowered.isin(["true", "false"]).fillna(False).astype(bool)
        return (lowered == "true").astype("boolean").where(ok, pd.NA), present & ~ok
    values = pd.to_datetime(as_str.str.strip(), format="ISO8601", utc=True, errors="coerce")
    if column.kind == "date":
        values = values.dt.tz_localize(None).dt.normalize()
    return values, present & values.isna()


def domain_schema(contract: Contract, day: date) -> pa.DataFrameSchema:
    """Pandera rules on the typed frame of partition `day` (types are already settled by `parse`)."""
    dt = pd.Timestamp(day)
    same_day = pa.Check(lambda s: s.dt.tz_localize(None).dt.normalize() == dt if s.dt.tz else s == dt,
                        name="equals_partition_date")
    rules: dict[str, list[pa.Check]] = {
        "license_type": [pa.Check.isin(["full", "beer_wine"])],
        "category": [pa.Check.isin(["spirits", "wine", "beer", "seltzer", "other"])],
        "volume_ml": [pa.Check.gt(0)],
        "seasonal_months": [pa.Check.str_matches(MONTH_LIST, name="month_list_1_to_12")],
        "line_number": [pa.Check.ge(1)],
        "quantity": [pa.Check.ne(0)],
        "on_hand_qty": [pa.Check.ge(0)],
        "ordered_at": [same_day],
        "snapshot_date": [same_day],
    }
    frame_checks = []
    if contract.feed == "orders":
        frame_checks.append(pa.Check(
            lambda df: (np.sign(df["quantity"].astype("Float64")) == np.sign(df["line_amount"])).fillna(True),
            name="same_sign_as_quantity"))
    return pa.DataFrameSchema(
        {c.name: pa.Column(checks=rules.get(c.name, []), nullable=c.nullable) for c in contract.columns},
        checks=frame_checks,
        unique=list(contract.unique),
        report_duplicates="exclude_first",
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
        unique=("order_id", "line_number"), is_snapshot=False, published_daily=True),
    "inventory": Contract(
        "inventory",
        (Column("snapshot_date", "date"), Column("store_id", "string"), Column("sku_id", "string"),
         Column("on_hand_qty", "integer")),
        unique=("store_id", "sku_id"), is_snapshot=True, published_daily=True),
}
FEEDS = tuple(CONTRACTS)
