"""Validating one landing partition: accepted rows, rejected rows with a reason, or a stop.

Grain of `rejects`: one row per rejected input row (feed, file, row number), with every rule it
broke. Accepted + rejected = rows read, always.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
import pandera.pandas as pa

from prod_pipelines.landing.contracts import Contract, domain_schema, parse
from prod_pipelines.landing.zone import LandingError

REJECT_COLUMNS = ["file", "row_number", "rule", "column_name", "value"]


@dataclass(frozen=True)
class ValidatedPartition:
    accepted: pd.DataFrame  # contract columns as text, plus `_file` and `_row_number`
    rejects: pd.DataFrame  # REJECT_COLUMNS

    @property
    def rows_read(self) -> int:
        return len(self.accepted) + len(self.rejects)


def validate_partition(contract: Contract, day: date, files: dict[str, pd.DataFrame]) -> ValidatedPartition:
    """Checks the union of a partition's files against the contract (uniqueness spans the files)."""
    for name, frame in files.items():
        missing = [c for c in contract.names if c not in frame.columns]
        if missing:
            raise LandingError(contract.feed, name, f"missing column(s) {', '.join(missing)}")
    parts = [
        frame[contract.names].assign(_file=name, _row_number=range(1, len(frame) + 1))
        for name, frame in files.items()
    ]
    rows = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=[*contract.names, "_file", "_row_number"])

    typed, type_failures = {}, []
    for column in contract.columns:
        values, bad = parse(column, rows[column.name])
        typed[column.name] = values
        _stop_if_whole_column_is_wrong(contract, column.name, column.kind, rows, bad)
        type_failures.append(pd.DataFrame({"index": rows.index[bad], "rule": f"{column.name}: not a {column.kind}",
                                           "column_name": column.name, "value": rows.loc[bad, column.name]}))
    failures = pd.concat([*type_failures, _rule_failures(contract, day, pd.DataFrame(typed), rows)], ignore_index=True)
    failures = failures.drop_duplicates(["index", "column_name"], keep="first")

    rejected_index = failures["index"].unique()
    rejects = (
        failures.sort_values(["index", "rule"])
        .groupby("index", sort=True)
        .agg(rule=("rule", "; ".join), column_name=("column_name", ", ".join),
             value=("value", lambda v: "; ".join("" if pd.isna(x) else str(x) for x in v)))
        .join(rows[["_file", "_row_number"]])
        .rename(columns={"_file": "file", "_row_number": "row_number"})
        .reset_index(drop=True)[REJECT_COLUMNS]
    )
    return ValidatedPartition(accepted=rows.drop(index=rejected_index), rejects=rejects)


def _stop_if_whole_column_is_wrong(contract: Contract, name: str, kind: str, rows: pd.DataFrame, bad: pd.Series) -> None:
    """A column where no present value has the right type is a schema change, not bad rows."""
    present = rows[name].notna()
    for file, group in rows.groupby("_file", sort=True).groups.items():
        if present[group].any() and bad[group][present[group]].all():
            sample = rows.loc[group, name][bad[group]].iloc[0]
            raise LandingError(contract.feed, file, f"column {name}: no value is a {kind} (e.g. {sample!r})")


def _rule_failures(contract: Contract, day: date, typed: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """Pandera's row-level failure cases as (index, rule, column, raw value)."""
    try:
        domain_schema(contract, day).validate(typed, lazy=True)
        return pd.DataFrame(columns=["index", "rule", "column_name", "value"])
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
    if cases["index"].isna().any():
        first = cases[cases["index"].isna()].iloc[0]
        raise LandingError(contract.feed, "partition", f"column {first['column']}: {first['check']} failed ({first['failure_case']})")
    cases = cases.astype({"index": "int64"})
    check = cases["check"].astype(str)
    is_unique = check.str.endswith("uniqueness")
    key = "+".join(contract.unique)
    column = cases["column"].where(~is_unique, key)
    column = column.where(check != "same_sign_as_quantity", "line_amount")
    rule = column + ": " + check.where(~is_unique, "duplicate")
    out = pd.DataFrame({"index": cases["index"], "rule": rule, "column_name": column})
    out = out.drop_duplicates(["index", "column_name"])
    out["value"] = [
        "+".join(str(rows.at[i, k]) for k in contract.unique) if c == key else rows.at[i, c]
        for i, c in zip(out["index"], out["column_name"])
    ]
    return out
