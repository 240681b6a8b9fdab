"""A long backfill, a late-data run and the daily job launched together all succeed under the daemon.

DuckDB has one writer: the instance queues runs and starts one at a time (dagster.yaml's run
concurrency), and warehouse-writing steps share the `warehouse` pool; no retry loop is involved.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from datetime import date

import dagster as dg
import pytest

from prod_pipelines.automation.late_data import LATE_TAG
from prod_pipelines.delivery.guard import APPROVE_TAG
from prod_pipelines.ops.runner import prepare_dagster_home
from prod_pipelines.producers.synthetic import generate_landing
from prod_pipelines.settings import REPO_ROOT, Settings
from prod_pipelines_tests.support.cli import cli_env

FIRST, LAST = date(2024, 11, 1), date(2025, 2, 1)
BIN = REPO_ROOT / ".venv" / "bin"


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("daemon")
    generate_landing(data_dir, FIRST, LAST, scale=0.02)
    home = prepare_dagster_home(Settings(data_dir=data_dir, start_date=FIRST))
    env = {**cli_env(data_dir, FIRST), "DAGSTER_HOME": str(home)}
    process = subprocess.Popen([str(BIN / "dagster-daemon"), "run", "-w", str(REPO_ROOT / "workspace.yaml")],
                               cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    yield data_dir, env
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def launch(env: dict, tags: dict) -> None:
    # At this tiny scale consecutive newest partitions differ by more than the blast-radius limit
    # (tested elsewhere); this test is about the writer lock, so the deliveries are approved.
    tags = {**tags, APPROVE_TAG: "all"}
    done = subprocess.run([str(BIN / "dagster"), "job", "launch", "-w", str(REPO_ROOT / "workspace.yaml"),
                           "-j", "pipeline", "--tags", json.dumps(tags)], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]


def test_a_backfill_a_late_data_run_and_the_daily_job_launched_together_all_succeed(daemon):
    data_dir, env = daemon
    launch(env, {"dagster/asset_partition_range_start": FIRST.isoformat(),
                 "dagster/asset_partition_range_end": "2025-01-29"})  # 90 days
    launch(env, {"dagster/asset_partition_range_start": "2025-01-02", "dagster/asset_partition_range_end": "2025-01-31",
                 LATE_TAG: "orders:2025-01-02"})
    launch(env, {"dagster/partition": LAST.isoformat()})  # what the daily schedule launches
    instance = dg.DagsterInstance.from_config(str(data_dir / "dagster"))
    try:
        deadline = time.monotonic() + 1500
        while True:
            runs = [r.dagster_run for r in instance.get_run_records(dg.RunsFilter(job_name="pipeline"))]
            if len(runs) == 3 and all(r.is_finished for r in runs):
                break
            assert time.monotonic() < deadline, f"runs still going: {[(r.run_id, r.status) for r in runs]}"
            time.sleep(3)
        failures = {r.run_id: [e.message for e in instance.all_logs(r.run_id)
                               if e.dagster_event and e.dagster_event.is_step_failure]
                    for r in runs if r.status != dg.DagsterRunStatus.SUCCESS}
        assert not failures, failures
        logs = " ".join(e.message or "" for r in runs for e in instance.all_logs(r.run_id))
        assert "Could not set lock" not in logs and "Conflicting lock" not in logs
    finally:
        instance.dispose()
