"""`prod-pipelines ui --read-only`: viewers read runs, assets and their history, and change nothing.

The real webserver on a real instance, asked through GraphQL (what the UI's buttons send): each mutation
a viewer could click is answered `UnauthorizedError`, and the instance shows that nothing happened.
"""

from __future__ import annotations

from datetime import date

import dagster as dg

from prod_pipelines.ops.runner import code_location, prepare_dagster_home
from prod_pipelines.producers.synthetic import generate_landing
from prod_pipelines.settings import Settings
from prod_pipelines_tests.support.ui_server import dagster_ui, graphql

START, END = date(2025, 1, 1), date(2025, 1, 3)
ORDERS = dg.AssetKey(["raw", "orders"])
REPOSITORY = {"repositoryLocationName": code_location(), "repositoryName": "__repository__"}

READS = """{
  assetNodes { assetKey { path } }
  assetOrError(assetKey: {path: ["raw", "orders"]}) { ... on Asset { assetMaterializations { partition } } }
  runsOrError { ... on Runs { results { runId } } }
}"""
MUTATIONS = {
    "launch a run": ("""mutation Launch($params: ExecutionParams!) {
        launchRun(executionParams: $params) { __typename } }""",
                     {"params": {"selector": {**REPOSITORY, "jobName": "deliver"}}}),
    "launch a backfill": ("""mutation Backfill($params: LaunchBackfillParams!) {
        launchPartitionBackfill(backfillParams: $params) { __typename } }""",
                          {"params": {"partitionNames": [str(END)], "assetSelection": [{"path": ORDERS.path}],
                                      "fromFailure": False, "tags": []}}),
    "turn a sensor on": ("""mutation Start($sensor: SensorSelector!) {
        startSensor(sensorSelector: $sensor) { __typename } }""",
                         {"sensor": {**REPOSITORY, "sensorName": "arrival_sensor"}}),
    "wipe an asset's history": ("""mutation Wipe($keys: [PartitionsByAssetSelector!]!) {
        wipeAssets(assetPartitionRanges: $keys) { __typename } }""",
                                {"keys": [{"assetKey": {"path": ORDERS.path}}]}),
}


def test_the_read_only_ui_serves_reads_and_refuses_every_mutation(tmp_path):
    generate_landing(tmp_path, START, END, scale=0.01)
    home = prepare_dagster_home(Settings(data_dir=tmp_path, start_date=START))
    with dg.DagsterInstance.from_config(str(home)) as instance:
        instance.report_runless_asset_event(dg.AssetMaterialization(ORDERS, partition=str(END)))
    with dagster_ui(tmp_path, START, entry="prod-pipelines ui --read-only") as ui:
        answers = {what: graphql(ui.url, query, variables) for what, (query, variables) in MUTATIONS.items()}
        read = graphql(ui.url, READS)
    assert {what: next(iter(answer.values()))["__typename"] for what, answer in answers.items()} == {
        what: "UnauthorizedError" for what in MUTATIONS}
    assert len(read["assetNodes"]) == 23
    assert read["assetOrError"]["assetMaterializations"] == [{"partition": str(END)}]
    assert read["runsOrError"]["results"] == []
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert instance.get_runs_count() == 0 and not instance.get_backfills()
        assert instance.get_latest_materialization_event(ORDERS) is not None
        assert all(state.status != dg.InstigatorStatus.RUNNING for state in instance.all_instigator_state())
