"""Shared fixtures: run the real CLI (the user's path) on a data dir, and read the warehouse it wrote."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest

from prod_pipelines.settings import DATA_DIR_VAR, START_DATE_VAR


def cli_env(data_dir: Path, start_date: date) -> dict[str, str]:
    return {**os.environ, DATA_DIR_VAR: str(data_dir), START_DATE_VAR: start_date.isoformat(), "DO_NOT_TRACK": "1"}


def run_cli(*args: str, data_dir: Path, start_date: date, check: bool = True) -> subprocess.CompletedProcess:
    """`prod-pipelines <args>` in a fresh process, as a user would run it."""
    done = subprocess.run([sys.executable, "-m", "prod_pipelines.cli", *args], env=cli_env(data_dir, start_date),
                          capture_output=True, text=True, timeout=1800)
    if check and done.returncode != 0:
        pytest.fail(f"prod-pipelines {' '.join(args)} exited {done.returncode}:\n{done.stderr[-4000:]}")
    return done


@pytest.fixture(scope="session")
def run_pipeline() -> Iterator:
    """Runs ingest -> dbt -> exports -> delivery for [start, end] and opens the warehouse read-only."""
    connections: list[duckdb.DuckDBPyConnection] = []

    def run(data_dir: Path, start: date, end: date) -> duckdb.DuckDBPyConnection:
        run_cli("backfill", "--start", start.isoformat(), "--end", end.isoformat(), data_dir=data_dir, start_date=start)
        connections.append(duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True))
        return connections[-1]

    yield run
    for conn in connections:
        conn.close()
