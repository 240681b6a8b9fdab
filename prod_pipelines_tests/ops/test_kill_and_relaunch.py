"""A run killed with SIGKILL in the middle of dbt is finished by launching it again, with no clean-up."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import date

import dagster as dg
import pytest

from prod_pipelines.producers.synthetic import generate_landing
from prod_pipelines_tests.support.cli import cli_env, run_cli
from prod_pipelines_tests.support.warehouse_state import partition_digests

START, END = date(2025, 1, 1), date(2025, 1, 31)


def dbt_is_running(warehouse: str) -> bool:
    found = subprocess.run(["pgrep", "-f", f"dbt (build|run|test) .*{warehouse}"], capture_output=True, text=True)
    return bool(found.stdout.strip())


@pytest.fixture(scope="module")
def landing(tmp_path_factory):
    source = tmp_path_factory.mktemp("kill_landing")
    generate_landing(source, START, END, scale=0.05)
    return source / "landing"


def test_a_run_killed_during_dbt_then_relaunched_equals_a_clean_run(landing, tmp_path):
    clean, killed = tmp_path / "clean", tmp_path / "killed"
    for data_dir in (clean, killed):
        shutil.copytree(landing, data_dir / "landing")
    run_cli("backfill", "--start", START.isoformat(), "--end", END.isoformat(), data_dir=clean, start_date=START)

    args = [sys.executable, "-m", "prod_pipelines.ops.cli", "backfill", "--start", START.isoformat(),
            "--end", END.isoformat()]
    process = subprocess.Popen(args, env=cli_env(killed, START), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 600
    while not dbt_is_running(str(killed / "warehouse.duckdb")):
        assert process.poll() is None, "the run ended before dbt started"
        assert time.monotonic() < deadline, "dbt never started"
        time.sleep(0.2)
    time.sleep(3)  # well into the models
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()

    run_cli("backfill", "--start", START.isoformat(), "--end", END.isoformat(), data_dir=killed, start_date=START)
    assert partition_digests(killed) == partition_digests(clean)
    instance = dg.DagsterInstance.from_config(str(killed / "dagster"))
    try:
        statuses = sorted(r.dagster_run.status.value for r in instance.get_run_records())
    finally:
        instance.dispose()
    assert statuses == ["FAILURE", "SUCCESS"], "the killed run is marked failed, the relaunch succeeded"
