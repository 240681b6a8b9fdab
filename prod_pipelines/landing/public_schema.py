"""The landing contract as a pandera schema (polars backend): the form producers validate against.

Rendered from the declarations in `contracts`; the pipeline runs the same rules as SQL
(`sql_rules`). Every check's error text is the rule's label, so both forms name a broken rule
the same way in their rejects.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandera.polars as pa
import polars as pl

from prod_pipelines.landing.contracts import (
    DUPLICATE,
    ON_PARTITION_DAY,
    Column,
    Contract,
    DaysAfterPartition,
    Rule,
    SameSign,
)


def pandera_schema(contract: Contract, day: date) -> pa.DataFrameSchema:
    """Rules on the typed frame of partition `day` (types are settled by parsing before this runs)."""
    frame_checks = [_first_of_key(contract.unique)]
    if contract.same_sign is not None:
        frame_checks.append(_same_sign(contract.same_sign))
    return pa.DataFrameSchema(
        {c.name: pa.Column(checks=_column_checks(c, day), nullable=c.nullable) for c in contract.columns},
        checks=frame_checks,
        strict=False,
    )


def _column_checks(column: Column, day: date) -> list[pa.Check]:
    checks = [_builtin(rule) for rule in column.rules]
    if column.on_partition_day:
        checks.append(_on_partition_day(column.kind, day))
    if column.days_after_partition is not None:
        checks.append(_days_after_partition(column.days_after_partition, day))
    return checks


def _builtin(rule: Rule) -> pa.Check:
    return getattr(pa.Check, rule.check)(rule.arg, name=rule.label, error=rule.label)


def _on_partition_day(kind: str, day: date) -> pa.Check:
    def check(data):
        value = pl.col(data.key)
        as_date = value.dt.convert_time_zone("UTC").dt.date() if kind == "timestamp" else value
        return data.lazyframe.select((as_date == day).fill_null(True))
    return pa.Check(check, name=ON_PARTITION_DAY, error=ON_PARTITION_DAY)


def _days_after_partition(rule: DaysAfterPartition, day: date) -> pa.Check:
    first, last = day + timedelta(days=rule.first), day + timedelta(days=rule.last)
    return pa.Check(lambda data: data.lazyframe.select(pl.col(data.key).is_between(first, last).fill_null(True)),
                    name=rule.label, error=rule.label)


def _first_of_key(keys: tuple[str, ...]) -> pa.Check:
    return pa.Check(lambda data: data.lazyframe.select(pl.struct(list(keys)).is_first_distinct()),
                    name=DUPLICATE, error=DUPLICATE)


def _same_sign(rule: SameSign) -> pa.Check:
    def check(data):
        same = pl.col(rule.first).sign() == pl.col(rule.second).cast(pl.Float64).sign()
        return data.lazyframe.select(same.fill_null(True))
    return pa.Check(check, name=rule.label, error=rule.label)
