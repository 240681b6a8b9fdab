"""The bare-dbt peer: the pipeline's own ingest code and dbt models, run without Dagster.

Ingest is `load_range` for each feed over the days (the raw assets' code, minus Dagster and the raw
checks), then one `dbt build` with the very arguments the Dagster dbt asset passes
(`dbt_cli_args`), from the venv's dbt. As a command, this module is the ingest half:
`python -m prod_pipelines.bench.bare --warehouse FILE --landing DIR --start D1 --end D2`.
"""

from __future__ import annotations

import argparse
import shutil
from datetime import date, timedelta
from pathlib import Path

from prod_pipelines.dbt.commands import dbt_cli_args, subprocess_command
from prod_pipelines.landing.contracts import CONTRACTS
from prod_pipelines.landing.loader import ensure_tables, load_range
from prod_pipelines.partitions import window_of
from prod_pipelines.settings import DBT_PROJECT_DIR, Settings
from prod_pipelines.warehouse import Warehouse


def ingest(warehouse: Path, landing_dir: Path, start: date, end: date) -> int:
    """Loads every feed's partitions [start, end] like the raw assets do; returns the rows accepted."""
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    accepted = 0
    # Capped like the raw assets' connections (Settings.duckdb_limits), so both ways ingest alike.
    with Warehouse(path=str(warehouse), **Settings.from_env().duckdb_limits).connect() as conn:
        for contract in CONTRACTS.values():
            ensure_tables(conn, contract)
            result = load_range(conn, contract, landing_dir, days)
            if result.stop is not None:
                raise result.stop
            accepted += sum(load.rows_accepted for load in result.loads)
    return accepted


def dbt_command(warehouse: Path, start: date, end: date, target_dir: Path) -> list[str]:
    """`dbt build` for the as-of days [start, end], with the arguments the Dagster asset builds, its
    artifacts and logs in the bench's own folder (never the project's shared `target/`), seeded with the
    project's partial-parse file as dagster-dbt does for each invocation."""
    target_dir.mkdir(parents=True, exist_ok=True)
    partial = DBT_PROJECT_DIR / "target" / "partial_parse.msgpack"
    if partial.exists() and not (target_dir / partial.name).exists():
        shutil.copyfile(partial, target_dir / partial.name)
    return subprocess_command(dbt_cli_args(window_of(start, end), str(warehouse)), DBT_PROJECT_DIR, target_dir)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--landing", type=Path, required=True)
    parser.add_argument("--start", type=date.fromisoformat, required=True)
    parser.add_argument("--end", type=date.fromisoformat, required=True)
    args = parser.parse_args(argv)
    rows = ingest(args.warehouse, args.landing.resolve(), args.start, args.end)
    print(f"ingested {rows} rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
