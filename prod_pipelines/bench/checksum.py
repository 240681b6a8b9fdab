"""One fingerprint of the central result (spec §2, rule 9) for a range of as-of days, whoever computed it.

The rows are cast to text (revenue rounded to 4 decimals), sorted by their grain (as-of day, store,
item) and hashed: equal fingerprints mean equal results row for row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

MART = "marts.top_items_not_carried"
COLUMNS = ("as_of_date", "store_id", "market_id", "sku_id", "market_rank", "units_l90", "revenue_l90", "store_rank")
_ROW_TEXT = ("concat_ws('|', as_of_date, store_id, market_id, sku_id, market_rank, units_l90, "
             "cast(round(revenue_l90, 4) as decimal(38, 4)), store_rank)")


class ResultsDiffer(AssertionError):
    pass


@dataclass(frozen=True)
class Checksum:
    rows: int
    md5: str

    def text(self) -> str:
        return f"{self.rows:,} rows, md5 {self.md5[:12]}"


def checksum(database: Path, relation: str, start: date, end: date) -> Checksum:
    """The fingerprint of `relation` in the DuckDB file `database`, as-of days [start, end]."""
    with duckdb.connect(str(database), read_only=True) as conn:
        rows, md5 = conn.execute(
            f"select count(*), md5(coalesce(string_agg({_ROW_TEXT}, chr(10) "
            "order by as_of_date, store_id, sku_id), '')) "
            f"from {relation} where as_of_date between ? and ?", [start, end]).fetchone()
    return Checksum(rows, md5)


def sample_difference(left: tuple[Path, str], right: tuple[Path, str], start: date, end: date, limit: int = 10) -> str:
    """A few rows found on one side only, to say where two results part."""
    with duckdb.connect() as conn:
        conn.execute(f"attach '{left[0]}' as l (read_only)")
        conn.execute(f"attach '{right[0]}' as r (read_only)")
        select = (f"select {', '.join(COLUMNS[:-2])}, "
                  "cast(round(revenue_l90, 4) as decimal(38, 4)) as revenue_l90, store_rank")
        window = "where as_of_date between ? and ?"
        rows = conn.execute(
            f"(select 'left only' as side, * from ({select} from l.{left[1]} {window} "
            f"except {select} from r.{right[1]} {window})) "
            f"union all (select 'right only', * from ({select} from r.{right[1]} {window} "
            f"except {select} from l.{left[1]} {window})) "
            f"order by as_of_date, store_id, sku_id limit {limit}", [start, end] * 4).fetchall()
    return "\n".join("  " + " | ".join(str(v) for v in row) for row in rows)


def require_equal(results: dict[str, tuple[Path, str]], start: date, end: date) -> dict[str, Checksum]:
    """Checksums every named result; raises ResultsDiffer (with sample rows) unless they are all equal."""
    sums = {name: checksum(path, relation, start, end) for name, (path, relation) in results.items()}
    names = list(sums)
    reference = names[0]
    for name in names[1:]:
        if sums[name] != sums[reference]:
            detail = sample_difference(results[reference], results[name], start, end)
            raise ResultsDiffer(
                f"central result differs for {start}..{end}: {reference} has {sums[reference].text()}, "
                f"{name} has {sums[name].text()}\nfirst differing rows (left = {reference}, right = {name}):\n{detail}")
    if sums[reference].rows == 0:
        raise ResultsDiffer(f"central result is empty for {start}..{end}: nothing was compared")
    return sums
