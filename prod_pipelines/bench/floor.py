"""Running the raw DuckDB floor (`floor.sql`) over a landing zone, in this process or as a command.

`python -m prod_pipelines.bench.floor --landing DIR --start D1 --end D2 --out FILE.duckdb` writes the
table `floor_top_items` (spec §2's central result for as-of days D1..D2) into FILE.
"""

from __future__ import annotations

import argparse
from datetime import date, timedelta
from pathlib import Path

import duckdb

# Typed here, not imported from landing/contracts.py: the floor imports nothing of the pipeline, so its
# time is DuckDB's alone.
FEEDS = ("stores", "products", "orders", "inventory")

FLOOR_SQL = Path(__file__).with_name("floor.sql")
FLOOR_TABLE = "floor_top_items"


def run_floor(conn: duckdb.DuckDBPyConnection, landing_dir: Path, start: date, end: date) -> None:
    """Creates `floor_top_items` in `conn` for the as-of days [start, end] (both included)."""
    _require_both_file_kinds(landing_dir)
    conn.execute("set enable_progress_bar = false")
    conn.execute("set variable landing = ?", [str(landing_dir)])
    conn.execute("set variable min_date = ?", [start.isoformat()])
    conn.execute("set variable max_date = ?", [(end + timedelta(days=1)).isoformat()])
    conn.execute(FLOOR_SQL.read_text())


def _require_both_file_kinds(landing_dir: Path) -> None:
    """The script reads CSV and Parquet with one glob each, and DuckDB refuses a glob matching nothing."""
    for feed in FEEDS:
        for pattern in ("dt=*/*.csv*", "dt=*/*.parquet"):
            if next((landing_dir / feed).glob(pattern), None) is None:
                raise FileNotFoundError(f"the floor needs at least one {landing_dir / feed / pattern} file")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--landing", type=Path, required=True)
    parser.add_argument("--start", type=date.fromisoformat, required=True)
    parser.add_argument("--end", type=date.fromisoformat, required=True)
    parser.add_argument("--out", type=Path, required=True, help="DuckDB file to write floor_top_items into")
    args = parser.parse_args(argv)
    args.out.unlink(missing_ok=True)
    with duckdb.connect(str(args.out)) as conn:
        run_floor(conn, args.landing.resolve(), args.start, args.end)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
