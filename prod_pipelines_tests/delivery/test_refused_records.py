"""The CRM refuses records, as an operator meets it: through `prod-pipelines backfill`, `deliver` and
`syncs`, a real Dagster instance and the CRM test server refusing chosen records.

Below salesforce's `max_rejected_share` (1%) the run succeeds with rejects, logged per record and
retried by the next delivery until the CRM takes them; above it the delivery fails, naming the
consumer, and the next delivery converges once the CRM accepts again.
"""

from __future__ import annotations

from datetime import date

import dagster as dg
import pytest

from prod_pipelines.producers.synthetic import generate_landing
from prod_pipelines_tests.delivery.test_real_destinations import crm_state, expected_crm_state
from prod_pipelines_tests.support.cli import run_cli
from prod_pipelines_tests.support.http_crm_server import CrmServer
from prod_pipelines_tests.support.warehouse_state import query

FIRST, MONDAY, TUESDAY, WEDNESDAY = date(2025, 3, 3), date(2025, 3, 10), date(2025, 3, 11), date(2025, 3, 12)
REASON = "422 store_email is not a valid address"


@pytest.fixture(scope="module")
def crm(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("refused_records")
    generate_landing(data_dir, FIRST, WEDNESDAY, scale=0.2)  # ~270 records: one is under 1%
    with CrmServer() as server:
        run = lambda *args, check=True: run_cli(*args, data_dir=data_dir, start_date=FIRST, check=check,  # noqa: E731
                                                env={"PROD_PIPELINES_SALESFORCE_URL": server.url})
        run("backfill", "--start", FIRST.isoformat(), "--end", MONDAY.isoformat())
        yield data_dir, server, run


def destination_metadata(data_dir) -> dict:
    instance = dg.DagsterInstance.from_config(str(data_dir / "dagster"))
    try:
        found = instance.fetch_materializations(dg.AssetKey(["destinations", "salesforce"]), limit=1)
        return {k: v.value for k, v in found.records[0].event_log_entry.asset_materialization.metadata.items()}
    finally:
        instance.dispose()


def key_log(run, key: str) -> list[list[str]]:
    """`syncs salesforce --key K`: (partition, key, operation, result) per line."""
    return [line.split()[2:6] for line in run("syncs", "salesforce", "--key", key).stdout.splitlines()]


def test_a_refused_record_is_kept_by_key_with_its_reason_and_retried_until_the_crm_takes_it(crm):
    data_dir, server, run = crm
    refused = sorted(crm_state(server))[0]
    server.refuse[refused] = REASON
    run("backfill", "--start", TUESDAY.isoformat(), "--end", TUESDAY.isoformat(), "--approve-large-change", "all")

    wanted = expected_crm_state(data_dir, TUESDAY)
    assert refused in wanted, "the refused record left the export: the test would prove nothing"
    held = crm_state(server)
    assert held[refused][0] == MONDAY.isoformat()  # the CRM kept its old record
    assert {k: v for k, v in held.items() if k != refused} == {k: v for k, v in wanted.items() if k != refused}
    last = run("syncs", "salesforce").stdout.splitlines()[-1]
    assert "succeeded" in last and "1 rejected" in last and REASON in last
    assert key_log(run, refused) == [[MONDAY.isoformat(), refused, "create", "accepted"],
                                     [TUESDAY.isoformat(), refused, "update", "rejected"]]
    assert REASON in run("syncs", "salesforce", "--key", refused).stdout
    shown = destination_metadata(data_dir)
    assert shown["rejected"] == 1 and shown["sync_id"] in shown["sync_log"]
    assert shown["changes"]["updated"], "the asset shows no sample of what the sync changed"

    server.refuse.clear()
    run("deliver")  # the same day, the same content: due only because of the record to retry
    assert crm_state(server) == wanted
    assert key_log(run, refused)[-1] == [TUESDAY.isoformat(), refused, "update", "accepted"]
    assert query(data_dir, "select count(*) from delivery.sync_snapshot where consumer = 'salesforce' "
                           "and result = 'rejected'") == [(0,)]
    store = refused.split(":")[0]
    assert {line[1] for line in key_log(run, store)} >= {k for k in wanted if k.startswith(store + ":")}


def test_refusals_above_the_consumers_threshold_fail_the_delivery_and_the_next_one_converges(crm):
    data_dir, server, run = crm
    held = sorted(crm_state(server))
    server.refuse.update({key: REASON for key in held[: len(held) // 10]})  # 10%, above the 1% limit
    failed = run("backfill", "--start", WEDNESDAY.isoformat(), "--end", WEDNESDAY.isoformat(),
                 "--approve-large-change", "all", check=False)
    assert failed.returncode != 0
    assert "salesforce" in failed.stderr and "records refused" in failed.stderr, failed.stderr[-3000:]
    (status, rejected), = query(data_dir, "select status, rejected from delivery.syncs where consumer = 'salesforce' "
                                          "order by started_at desc limit 1")
    assert status == "failed" and rejected == len(held) // 10
    assert query(data_dir, "select max(partition_date) from delivery.syncs where consumer = 'retailer_app' "
                           "and status = 'succeeded'") == [(WEDNESDAY,)]  # other consumers are not held back

    server.refuse.clear()
    run("deliver")
    assert crm_state(server) == expected_crm_state(data_dir, WEDNESDAY)
