"""The queue under the real daemon: the daily run first, then late data, then backfills; a crashed run
is retried once, a failed step is not; a run past its `dagster/max_runtime` is stopped. And what the
UI shows of each consumer's SLA: the daemon's freshness state of its destination.

One instance from the project's dev template (dagster.yaml), with run monitoring polling every 5 s
instead of 30 s so the test waits less. Runs are queued with `dagster job launch`, as an operator
would, and the daily run carries the tags the real arrival sensor asks for.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from datetime import date, timedelta

import dagster as dg
import pytest
import yaml

from prod_pipelines.assets.verdicts import KEY as VERDICTS
from prod_pipelines.automation.arrival import arrival_sensor
from prod_pipelines.automation.late_data import LATE_TAG
from prod_pipelines.automation.run_classes import BACKFILL, DAILY, LATE_DATA, MAX_RUNTIME_TAG, PRIORITY_TAG
from prod_pipelines.definitions import PIPELINE_JOB, build_definitions
from prod_pipelines.delivery.consumers import consumers
from prod_pipelines.delivery.guard import APPROVE_TAG
from prod_pipelines.ops.runner import INSTANCE_TEMPLATES, prepare_dagster_home
from prod_pipelines.producers.synthetic import generate_landing
from prod_pipelines.settings import REPO_ROOT, Settings
from prod_pipelines_tests.support.cli import cli_env

FIRST, LAST = date(2025, 3, 3), date(2025, 3, 5)
NOT_PUBLISHED = LAST + timedelta(days=1)
BIN = REPO_ROOT / ".venv" / "bin"
NAME_TAG = "test/name"  # finds each run again
PATIENCE = 900  # seconds: a safety net for a stuck daemon, not a bound the test measures


def range_of(first: date, last: date) -> dict[str, str]:
    return {"dagster/asset_partition_range_start": first.isoformat(),
            "dagster/asset_partition_range_end": last.isoformat()}


def launch(env: dict, name: str, tags: dict) -> None:
    # At this tiny scale consecutive days differ by more than the blast-radius limit: approved.
    tags = {**tags, APPROVE_TAG: "all", NAME_TAG: name}
    done = subprocess.run([str(BIN / "dagster"), "job", "launch", "-w", str(REPO_ROOT / "workspace.yaml"),
                           "-j", PIPELINE_JOB, "--tags", json.dumps(tags)], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]


def run_named(instance: dg.DagsterInstance, name: str) -> dg.RunRecord:
    [record] = instance.get_run_records(dg.RunsFilter(tags={NAME_TAG: name}))
    return record


def wait_for(condition, what: str):
    deadline = time.monotonic() + PATIENCE
    while not (found := condition()):
        assert time.monotonic() < deadline, f"still waiting for {what}"
        time.sleep(2)
    return found


def messages(instance: dg.DagsterInstance, run_id: str) -> str:
    return "\n".join(e.message or "" for e in instance.all_logs(run_id))


def arrival_request_tags(data_dir) -> dict[str, str]:
    """The tags of the run the real arrival sensor asks for on this landing zone."""
    settings = Settings(data_dir=data_dir, start_date=FIRST)
    sensor = arrival_sensor(settings.landing_dir, PIPELINE_JOB, FIRST, VERDICTS, running=True, settle_seconds=0)
    instance = dg.DagsterInstance.from_config(str(data_dir / "dagster"))
    try:
        context = dg.build_sensor_context(instance=instance, definitions=build_definitions(settings))
        [request] = sensor.evaluate_tick(context).run_requests
        return dict(request.tags)
    finally:
        instance.dispose()


@pytest.fixture(scope="module")
def queue(tmp_path_factory):
    """A backfill, a late-data run and the daily run queued in that order, then the daemon started."""
    data_dir = tmp_path_factory.mktemp("run_classes")
    generate_landing(data_dir, FIRST, LAST, scale=0.02)
    home = prepare_dagster_home(Settings(data_dir=data_dir, start_date=FIRST))
    config = yaml.safe_load((home / "dagster.yaml").read_text())
    config["run_monitoring"]["poll_interval_seconds"] = 5
    (home / "dagster.yaml").write_text(yaml.safe_dump(config))
    env = {**cli_env(data_dir, FIRST), "DAGSTER_HOME": str(home)}
    daily_tags = arrival_request_tags(data_dir)
    launch(env, "backfill", range_of(FIRST, LAST))  # no class: the pipeline job's own tags
    launch(env, "late_data", {**range_of(FIRST, LAST), **LATE_DATA.tags(), LATE_TAG: f"orders:{FIRST}"})
    launch(env, "daily", daily_tags)
    instance = dg.DagsterInstance.from_config(str(home))
    process = subprocess.Popen([str(BIN / "dagster-daemon"), "run", "-w", str(REPO_ROOT / "workspace.yaml")],
                               cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        yield env, instance, daily_tags
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        instance.dispose()


def test_the_daily_run_starts_first_then_late_data_then_the_backfill(queue):
    env, instance, daily_tags = queue
    assert daily_tags[PRIORITY_TAG] == str(DAILY.priority) and daily_tags[MAX_RUNTIME_TAG] == "3600"
    names = ("backfill", "late_data", "daily")
    records = wait_for(lambda: all(run_named(instance, n).dagster_run.is_finished for n in names)
                       and [run_named(instance, n) for n in names], "the three queued runs")
    classes = (BACKFILL, LATE_DATA, DAILY)
    assert [r.dagster_run.tags[PRIORITY_TAG] for r in records] == [str(c.priority) for c in classes]
    assert records[0].dagster_run.tags[MAX_RUNTIME_TAG] == str(int(BACKFILL.max_runtime.total_seconds()))
    assert records[0].create_timestamp < records[1].create_timestamp < records[2].create_timestamp
    started = sorted(records, key=lambda r: r.start_time)
    assert [r.dagster_run.tags[NAME_TAG] for r in started] == ["daily", "late_data", "backfill"]
    assert all(r.dagster_run.status == dg.DagsterRunStatus.SUCCESS for r in records)


def test_the_daemon_judges_each_destination_fresh_against_its_sla_once_delivered(queue):
    """What the UI's freshness badge shows: each destination's cron policy, evaluated by the daemon."""
    _, instance, _ = queue
    keys = [dg.AssetKey(["destinations", c.name]) for c in consumers()]
    wait_for(lambda: run_named(instance, "daily").dagster_run.is_finished, "the daily run")
    states = wait_for(lambda: (found := instance.get_freshness_state_records(keys)) and len(found) == len(keys)
                      and all(r.freshness_state.value == "PASS" for r in found.values()) and found,
                      "every destination to be judged fresh")
    assert set(states) == set(keys)
    mart = dg.AssetKey(["marts", "top_items_not_carried"])  # partitioned: no policy (definitions.py says why)
    assert {r.freshness_state.value for r in instance.get_freshness_state_records([mart]).values()} <= {
        "NOT_APPLICABLE"}


def test_a_run_whose_step_failed_is_not_retried(queue):
    env, instance, _ = queue
    launch(env, "step_fails", range_of(NOT_PUBLISHED, NOT_PUBLISHED))  # its orders have not arrived
    failed = wait_for(lambda: run_named(instance, "step_fails").dagster_run.is_finished
                      and run_named(instance, "step_fails").dagster_run, "the failing run")
    assert failed.status == dg.DagsterRunStatus.FAILURE
    wait_for(lambda: "Not retrying run since it failed due to an asset or op failure" in messages(
        instance, failed.run_id), "the retry daemon's decision")
    assert not instance.get_run_records(dg.RunsFilter(tags={"dagster/parent_run_id": failed.run_id}))


def test_a_run_whose_worker_crashed_is_retried_once_and_the_retry_finishes_the_work(queue):
    env, instance, _ = queue
    launch(env, "crashes", {**range_of(FIRST, LAST), **DAILY.tags()})
    started = wait_for(lambda: re.search(r"Started process for run \(pid: (\d+)\)",
                                         messages(instance, run_named(instance, "crashes").dagster_run.run_id)),
                       "the run worker to start")
    os.kill(int(started.group(1)), signal.SIGKILL)
    crashed = run_named(instance, "crashes").dagster_run
    retry = wait_for(lambda: instance.get_run_records(dg.RunsFilter(tags={"dagster/parent_run_id": crashed.run_id})),
                     "the retry")[0].dagster_run
    assert retry.tags["dagster/retry_number"] == "1" and retry.tags[PRIORITY_TAG] == str(DAILY.priority)
    done = wait_for(lambda: instance.get_run_by_id(retry.run_id).is_finished and instance.get_run_by_id(retry.run_id),
                    "the retry to finish")
    assert instance.get_run_by_id(crashed.run_id).status == dg.DagsterRunStatus.FAILURE
    assert done.status == dg.DagsterRunStatus.SUCCESS, messages(instance, retry.run_id)[-3000:]


def test_a_run_past_its_max_runtime_is_stopped_and_says_why(queue):
    env, instance, _ = queue
    launch(env, "too_long", {**range_of(FIRST, LAST), **LATE_DATA.tags(), MAX_RUNTIME_TAG: "1",
                             "dagster/max_retries": "0"})
    stopped = wait_for(lambda: run_named(instance, "too_long").dagster_run.is_finished
                       and run_named(instance, "too_long").dagster_run, "the run to be stopped")
    assert stopped.status in (dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED)
    assert "exceeding maximum runtime of 1 seconds" in messages(instance, stopped.run_id)


@pytest.mark.parametrize("template", ["dagster.yaml", "dagster.postgres.yaml"])
def test_every_instance_retries_crashes_only_and_stops_unclassed_runs_at_the_backfill_limit(template, tmp_path):
    config = yaml.safe_load((INSTANCE_TEMPLATES / template).read_text())
    assert config["run_retries"] == {"enabled": True, "max_retries": 1, "retry_on_asset_or_op_failure": False}
    assert config["run_monitoring"]["enabled"]
    assert config["run_monitoring"]["max_runtime_seconds"] == BACKFILL.max_runtime.total_seconds()
    if template == "dagster.yaml":  # the one a test can open without a PostgreSQL server
        instance = dg.DagsterInstance.from_config(str(prepare_dagster_home(Settings(data_dir=tmp_path))))
        try:
            assert instance.run_retries_enabled and not instance.run_retries_retry_on_asset_or_op_failure
            assert instance.run_coordinator.__class__.__name__ == "QueuedRunCoordinator"
        finally:
            instance.dispose()
