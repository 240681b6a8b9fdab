"""Backfills launched the way the lineage graph and the catalog launch them: an asset selection and
a range, through the webserver's GraphQL API (`launchPartitionBackfill`), with the daemon making the
runs. Every run must succeed and stay inside the requested range, the warehouse must equal what the
CLI backfill of the same range leaves, and the delivery that follows must send each consumer its
newest really complete day.
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import pytest

from prod_pipelines.compat import BulkActionStatus
from prod_pipelines.producers.synthetic import generate_landing
from prod_pipelines_tests.support.cli import run_cli
from prod_pipelines_tests.support.ui_server import dagster_ui, graphql
from prod_pipelines_tests.support.warehouse_state import partition_digests, query

START, END = date(2025, 1, 1), date(2025, 1, 10)
RANGE = (END - timedelta(days=6), END)  # the last 7 days with data
LAST_MONDAY = date(2025, 1, 6)
RUN_TIMEOUT = 900

LAUNCH = """mutation Launch($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
    ... on InvalidSubsetError { message }
  }
}"""
PARTITIONED_ASSETS = """{ assetNodes { assetKey { path } isPartitioned } }"""
JOB_RUNS = """{ pipelineOrError(params: {pipelineName: "pipeline", repositoryName: "__repository__",
                                       repositoryLocationName: "prod_pipelines"}) {
  ... on Pipeline { pipelineSnapshotId runs { runId pipelineSnapshotId
                                              repositoryOrigin { repositoryLocationName repositoryName } } } } }"""


def days(first: date, last: date) -> list[str]:
    return [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]


def launch_asset_backfill(url: str, first: date, last: date) -> str:
    """What the UI sends after selecting every partitioned asset in the lineage graph and a range."""
    nodes = graphql(url, PARTITIONED_ASSETS)["assetNodes"]
    selection = [{"path": n["assetKey"]["path"]} for n in nodes if n["isPartitioned"]]
    assert len(selection) > 10, selection
    result = graphql(url, LAUNCH, {"params": {"partitionNames": days(first, last), "assetSelection": selection,
                                              "fromFailure": False, "tags": []}})["launchPartitionBackfill"]
    assert result["__typename"] == "LaunchBackfillSuccess", result
    return result["backfillId"]


def wait_for_backfill(home: Path, backfill_id: str) -> list[dg.DagsterRun]:
    pending = {BulkActionStatus.REQUESTED, BulkActionStatus.CANCELING}
    deadline = time.monotonic() + RUN_TIMEOUT
    instance = dg.DagsterInstance.from_config(str(home))
    try:
        while time.monotonic() < deadline:
            backfill = instance.get_backfill(backfill_id)
            runs = instance.get_runs(filters=dg.RunsFilter(tags={"dagster/backfill": backfill_id}))
            if backfill.status not in pending and all(r.is_finished for r in runs):
                return runs
            time.sleep(2)
        pytest.fail(f"backfill {backfill_id} did not finish in {RUN_TIMEOUT}s")
    finally:
        instance.dispose()


def assert_every_run_succeeded_inside(runs: list[dg.DagsterRun], first: date, last: date) -> None:
    assert runs, "the backfill made no run"
    for run in runs:
        assert run.status == dg.DagsterRunStatus.SUCCESS, f"run {run.run_id} ended {run.status}"
        start = run.tags.get("dagster/asset_partition_range_start", run.tags.get("dagster/partition"))
        end = run.tags.get("dagster/asset_partition_range_end", run.tags.get("dagster/partition"))
        assert first.isoformat() <= start <= end <= last.isoformat(), f"run {run.run_id} ran {start}..{end}"


def assert_cli_runs_are_runs_of_the_job(url: str, home: Path) -> None:
    """A CLI backfill is listed under Jobs -> pipeline -> Runs (and so on the timeline), filed under the
    code location, and re-executes without "may be a different version": same origin, same snapshot."""
    instance = dg.DagsterInstance.from_config(str(home))
    try:
        cli_runs = [r.run_id for r in instance.get_runs()]
    finally:
        instance.dispose()
    assert len(cli_runs) == 1
    job = graphql(url, JOB_RUNS)["pipelineOrError"]
    listed = {r["runId"]: r for r in job["runs"]}
    assert set(cli_runs) <= listed.keys(), f"CLI runs missing from the job's runs: {cli_runs} vs {list(listed)}"
    run = listed[cli_runs[0]]
    assert run["repositoryOrigin"] == {"repositoryLocationName": "prod_pipelines", "repositoryName": "__repository__"}
    assert run["pipelineSnapshotId"] == job["pipelineSnapshotId"]


def delivered(data_dir: Path) -> dict[str, date]:
    return dict(query(data_dir, "select consumer, max(partition_date) from delivery.syncs "
                                "where status = 'succeeded' group by 1"))


def computed_state(data_dir: Path) -> dict:
    """Digests of the marts and exports per day (raw may hold more days than the range computed)."""
    return {k: v for k, v in partition_digests(data_dir).items() if k[0].split(".")[0] in ("marts", "exports")}


@pytest.mark.parametrize("warehouse", ["fresh", "populated"])
def test_an_asset_selection_backfill_of_the_last_7_days_succeeds_and_delivers_only_complete_days(
        tmp_path_factory, warehouse):
    data_dir = tmp_path_factory.mktemp(f"ui_{warehouse}")
    generate_landing(data_dir, START, END, scale=0.02)
    if warehouse == "populated":
        run_cli("backfill", "--start", START.isoformat(), "--end", (RANGE[0] - timedelta(days=1)).isoformat(),
                data_dir=data_dir, start_date=START)
    with dagster_ui(data_dir, START) as ui:
        assert graphql(ui.url, "{ shouldShowNux }")["shouldShowNux"] is False, "the newsletter modal would greet users"
        if warehouse == "populated":
            assert_cli_runs_are_runs_of_the_job(ui.url, ui.dagster_home)
        runs = wait_for_backfill(ui.dagster_home, launch_asset_backfill(ui.url, *RANGE))
    assert_every_run_succeeded_inside(runs, *RANGE)
    assert len(runs) == 1, "single-run backfill policies and same-day dependencies make one run of the range"

    # The same range through the CLI on a copy of the landing zone gives the same marts and exports.
    twin = tmp_path_factory.mktemp(f"cli_{warehouse}")
    generate_landing(twin, START, END, scale=0.02)
    if warehouse == "populated":
        run_cli("backfill", "--start", START.isoformat(), "--end", (RANGE[0] - timedelta(days=1)).isoformat(),
                data_dir=twin, start_date=START)
    run_cli("backfill", "--start", RANGE[0].isoformat(), "--end", RANGE[1].isoformat(), data_dir=twin,
            start_date=START, check=False)
    assert computed_state(data_dir) == computed_state(twin)

    # The populated case already delivered the day before the range; a week later is a large change.
    run_cli("deliver", "--approve-large-change", "all", data_dir=data_dir, start_date=START)
    complete = [d for (d,) in query(data_dir, "select as_of_date from audit.day_verdicts where complete order by 1")]
    assert complete and max(complete) == END
    if warehouse == "fresh":  # no stores or products snapshot is loaded before the first Monday of the range
        held = dict(query(data_dir, "select as_of_date, reasons from audit.day_verdicts where not complete"))
        assert sorted(held) == [RANGE[0], RANGE[0] + timedelta(days=1)]
        assert all(any("no stores snapshot" in r for r in reasons) for reasons in held.values())
    assert delivered(data_dir) == {"retailer_app": END, "salesforce": END, "crm_email": LAST_MONDAY}
    for export, day in (("exp_retailer_app__top_items", END), ("exp_crm__weekly_email", LAST_MONDAY)):
        assert query(data_dir, f"select count(*) from exports.{export} where as_of_date = ?", [day])[0][0] > 0
