"""Validating files against the contract's public form (pandera on polars), before they are published.

What `prod-pipelines validate` runs for a producer; the pipeline runs the same declarations as SQL
over a whole range (`loader`), and a test proves both reach the same verdict on every rule.

Grain of `rejects`: one row per rejected input row (file, row number) with every rule it broke and
the offending raw values. Accepted + rejected = rows read, always.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import pandera.polars as pa
import polars as pl

from prod_pipelines.landing.contracts import DUPLICATE, Contract
from prod_pipelines.landing.public_schema import pandera_schema
from prod_pipelines.landing.zone import LandingError

REJECT_SCHEMA = {"file": pl.Utf8, "row_number": pl.Int64, "rule": pl.Utf8, "column_name": pl.Utf8, "value": pl.Utf8}
FAILURE_SCHEMA = {"index": pl.Int64, "rule": pl.Utf8, "column_name": pl.Utf8, "value": pl.Utf8}


@dataclass(frozen=True)
class ValidatedPartition:
    accepted: pl.DataFrame  # typed contract columns plus `_file` and `_row_number`
    rejects: pl.DataFrame  # REJECT_SCHEMA

    @property
    def rows_read(self) -> int:
        return self.accepted.height + self.rejects.height


def validate_partition(contract: Contract, day: date, files: dict[str, pl.DataFrame]) -> ValidatedPartition:
    """Checks the union of a partition's files against the contract (uniqueness spans the files)."""
    for name, frame in files.items():
        missing = [c for c in contract.names if c not in frame.columns]
        if missing:
            raise LandingError(contract.feed, name, f"missing column(s) {', '.join(missing)}")
    text = pl.concat(
        [frame.select(contract.names).with_columns(_file=pl.lit(name), _row_number=pl.int_range(1, frame.height + 1))
         for name, frame in files.items()]
        or [pl.DataFrame(schema={**{c: pl.Utf8 for c in contract.names}, "_file": pl.Utf8, "_row_number": pl.Int64})],
        how="vertical_relaxed",
    )
    typed = _parse(contract, text)
    _stop_if_a_whole_column_is_mistyped(contract, typed)
    failures = pl.concat([_type_failures(contract, typed), _rule_failures(contract, day, typed)])
    failures = failures.unique(["index", "column_name"], keep="first", maintain_order=True)

    rejects = (
        failures.sort(["index", "rule"])
        .group_by("index", maintain_order=True)
        .agg(pl.col("rule").str.join("; "), pl.col("column_name").str.join(", "),
             pl.col("value").fill_null("").str.join("; "))
        .join(typed.with_row_index("index").select(pl.col("index").cast(pl.Int64), "_file", "_row_number"), on="index")
        .select(file="_file", row_number="_row_number", rule="rule", column_name="column_name", value="value")
        .cast(REJECT_SCHEMA)
    )
    rejected = failures["index"].unique().implode()
    accepted = (typed.with_row_index("index").filter(~pl.col("index").cast(pl.Int64).is_in(rejected))
                .select([*contract.names, "_file", "_row_number"]))
    problem = contract.snapshot_breach(typed.height, accepted.height)
    if problem:
        raise LandingError(contract.feed, f"dt={day}", problem)
    return ValidatedPartition(accepted=accepted, rejects=rejects)


def _parse(contract: Contract, text: pl.DataFrame) -> pl.DataFrame:
    """Typed columns, plus `_raw_<c>` text and a `_bad_<c>` flag for every non-text column."""
    checked = contract.typed_columns
    parsed = ", ".join([f"{c.parse_sql()} as {c.name}" for c in contract.columns]
                       + [f"{c.name} as _raw_{c.name}" for c in checked] + ["_file", "_row_number"])
    # Each value is parsed once; its flag compares the result with the raw text.
    flags = "".join(f", (trim(_raw_{c.name}) <> '' and {c.name} is null) as _bad_{c.name}" for c in checked)
    conn = duckdb.connect()
    try:
        conn.execute("set TimeZone = 'UTC'")
        conn.register("text_rows", text)
        return conn.sql(f"select *{flags} from (select {parsed} from text_rows)").pl()
    finally:
        conn.close()


def _stop_if_a_whole_column_is_mistyped(contract: Contract, typed: pl.DataFrame) -> None:
    """A column where no present value has the right type is a schema change, not bad rows."""
    for c in contract.typed_columns:
        per_file = (typed.group_by("_file", maintain_order=True)
                    .agg(present=(pl.col(f"_raw_{c.name}").str.strip_chars() != "").sum(),
                         bad=pl.col(f"_bad_{c.name}").sum(),
                         sample=pl.col(f"_raw_{c.name}").filter(pl.col(f"_bad_{c.name}")).first()))
        broken = per_file.filter((pl.col("present") > 0) & (pl.col("bad") == pl.col("present")))
        if broken.height:
            file, sample = broken["_file"][0], broken["sample"][0]
            raise LandingError(contract.feed, file, f"column {c.name}: no value is a {c.kind} (e.g. {sample!r})")


def _type_failures(contract: Contract, typed: pl.DataFrame) -> pl.DataFrame:
    indexed = typed.with_row_index("index")
    frames = [
        indexed.filter(pl.col(f"_bad_{c.name}")).select(
            pl.col("index").cast(pl.Int64), rule=pl.lit(f"{c.name}: {c.type_label()}"),
            column_name=pl.lit(c.name), value=pl.col(f"_raw_{c.name}"))
        for c in contract.typed_columns
    ]
    return pl.concat(frames).cast(FAILURE_SCHEMA) if frames else pl.DataFrame(schema=FAILURE_SCHEMA)


def _rule_failures(contract: Contract, day: date, typed: pl.DataFrame) -> pl.DataFrame:
    """Pandera's row-level failure cases as (index, rule, column, raw value)."""
    try:
        pandera_schema(contract, day).validate(typed, lazy=True)
        return pl.DataFrame(schema=FAILURE_SCHEMA)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
    if cases["index"].is_null().any():
        first = cases.filter(pl.col("index").is_null()).row(0, named=True)
        raise LandingError(contract.feed, "partition", f"column {first['column']}: {first['check']} failed")
    key = contract.key_label
    column = pl.when(pl.col("check") == DUPLICATE).then(pl.lit(key))
    if contract.same_sign is not None:
        column = column.when(pl.col("check") == contract.same_sign.label).then(pl.lit(contract.same_sign.second))
    column = column.otherwise(pl.col("column"))
    out = (cases.select(pl.col("index").cast(pl.Int64), check="check", column_name=column)
           .unique(["index", "column_name"], maintain_order=True)
           .with_columns(rule=pl.col("column_name") + ": " + pl.col("check")))
    raw = typed.with_row_index("index").with_columns(pl.col("index").cast(pl.Int64))
    raw = raw.with_columns(**{key: pl.concat_str([pl.col(k).cast(pl.Utf8) for k in contract.unique], separator="+")})
    values = [pl.when(pl.col("column_name") == name).then(
                  pl.col(f"_raw_{name}") if f"_raw_{name}" in raw.columns else pl.col(name).cast(pl.Utf8))
              for name in {*contract.names, key}]
    joined = out.join(raw, on="index", how="left")
    return joined.select("index", "rule", "column_name", value=pl.coalesce(values)).cast(FAILURE_SCHEMA)
