"""The alert policy notifies once per change of state of a consumer's signal, through a real webhook.

The volume and failure sequences run the real destination asset (`destinations/<consumer>`) in a Dagster
instance on a DuckDB warehouse holding one complete day of a small export, changed between deliveries,
and the run-failure sensor on each failed run. The
rejected-records and duration signals are set on the ledger row of a sync (no destination reports
rejects yet, and a test never waits for a clock), then judged as the destination asset judges them.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from prod_pipelines.assets.deliveries import build_destination_asset
from prod_pipelines.automation.alerts import AlertSink, alert_on_run_failure, notify_alert_policy
from prod_pipelines.completeness.verdict import Verdict, ensure_table, record
from prod_pipelines.delivery.alert_thresholds import AlertThresholds, Threshold
from prod_pipelines.delivery.consumers import Consumer
from prod_pipelines.delivery.destinations.resource import DestinationTarget, resource_key
from prod_pipelines.delivery.ledger import Ledger
from prod_pipelines.warehouse import Warehouse
from prod_pipelines_tests.support.sensors import evaluate_run_sensor
from prod_pipelines_tests.support.webhook import Webhook

DAY = date(2025, 3, 12)
CONSUMER = Consumer(name="app", export_model="exp_app", owner="team:app", destination="file_drop", sla="daily",
                    send_on="daily", key=("store_id", "sku_id"), deadline_cron="0 9 * * *", max_change_share=1.0,
                    export_relation="exports.exp_app", export_asset="exports/exp_app")


@pytest.fixture
def webhook():
    hook = Webhook()
    yield hook
    hook.close()


@pytest.fixture
def warehouse(tmp_path) -> Path:
    """A warehouse whose day DAY is judged complete, with an empty export for it."""
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as conn:
        conn.execute("create schema raw; create schema exports; create table raw.partition_loads "
                     "(feed varchar, dt date, loaded_at timestamp, arrived boolean)")
        conn.execute("create table exports.exp_app (as_of_date date, store_id varchar, sku_id varchar, batch int)")
        ensure_table(conn)
        record(conn, [Verdict(DAY, True)], "judged")
    return path


def deliver(warehouse: Path, instance: dg.DagsterInstance, webhook: Webhook, rows: int, batch: int,
            first_key: int = 0, approve: bool = False, drop: Path | None = None,
            consumer: Consumer = CONSUMER) -> tuple[list[str], dg.DagsterRun]:
    """Replaces the export's day with `rows` rows (keys from `first_key`, new content per `batch`) and
    runs the destination asset: the titles the webhook received, and the run."""
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute("delete from exports.exp_app")
        conn.execute("insert into exports.exp_app select ?, 's' || (i % 7), 'sku-' || i, ? from range(?, ?) as t(i)",
                     [DAY, batch, first_key, first_key + rows])
    asset = build_destination_asset(consumer, dg.AssetKey(["exports", "exp_app"]), dg.AssetKey("verdicts"),
                                    "file_drop")
    before = len(webhook.received)
    result = dg.materialize(
        [asset], instance=instance, raise_on_error=False,
        run_config={"ops": {"destinations__app": {"config": {"approve_large_change": approve}}}},
        resources={"warehouse": Warehouse(path=str(warehouse)), "alerts": sink(webhook),
                   resource_key(CONSUMER): DestinationTarget(kind="file_drop", url=str(drop or warehouse.parent))})
    return webhook.titles[before:], instance.get_run_by_id(result.run_id)


def sink(webhook: Webhook) -> AlertSink:
    return AlertSink(webhook_url=webhook.url, fallback_file="/nonexistent/alerts.jsonl")


def sent(warehouse: Path, instance: dg.DagsterInstance, webhook: Webhook, rows: int, batch: int) -> list[str]:
    """A delivery that succeeds, and the titles it posted."""
    titles, run = deliver(warehouse, instance, webhook, rows, batch)
    assert run.status == dg.DagsterRunStatus.SUCCESS
    return titles


def test_a_volume_drop_warns_once_escalates_once_and_recovers_once(warehouse, webhook):
    with dg.instance_for_test() as instance:
        for batch in range(4):  # the history: three previous syncs before the volume is judged
            assert sent(warehouse, instance, webhook, 100, batch) == []
        assert sent(warehouse, instance, webhook, 70, 4) == ["app: volume_drop is WARN"]
        assert sent(warehouse, instance, webhook, 75, 5) == []  # still warn: silent
    with dg.instance_for_test() as restarted:  # the state lives in the warehouse, not in the process
        assert sent(warehouse, restarted, webhook, 40, 6) == ["app: volume_drop is CRITICAL"]
        assert sent(warehouse, restarted, webhook, 70, 7) == []  # eased to warn: the same incident
        assert sent(warehouse, restarted, webhook, 100, 8) == ["app: volume_drop is back to ok (was critical)"]
        assert sent(warehouse, restarted, webhook, 100, 9) == []
    text = webhook.received[1]["blocks"][0]["text"]["text"]
    assert "40 rows sent, 60% below the median of 100" in text and "critical at 50.0%" in text
    assert "destinations/app" in text and DAY.isoformat() in text


def failed(instance: dg.DagsterInstance, webhook: Webhook, delivery: tuple[list[str], dg.DagsterRun]) -> list[str]:
    """A delivery whose run failed, then the run-failure sensor on that run: the titles both posted."""
    titles, run = delivery
    assert run.status == dg.DagsterRunStatus.FAILURE
    count = len(webhook.received)
    evaluate_run_sensor(alert_on_run_failure, instance, run, {"alerts": sink(webhook)})
    return titles + webhook.titles[count:]


def test_a_failing_delivery_notifies_once_per_distinct_failure_and_once_when_it_recovers(warehouse, webhook, tmp_path):
    a_file = tmp_path / "a_file"
    a_file.write_text("not a folder")
    with dg.instance_for_test() as instance:
        assert sent(warehouse, instance, webhook, 100, 0) == []
        # Replacing every row is refused by the blast-radius guard, on the first try and on the retry.
        replaced = dict(rows=100, batch=1, first_key=100, consumer=replace(CONSUMER, max_change_share=None))
        assert failed(instance, webhook, deliver(warehouse, instance, webhook, **replaced)) == ["app: delivery FAILED"]
        assert failed(instance, webhook, deliver(warehouse, instance, webhook, **replaced)) == []
        # Approved, the same content then fails differently: the drop folder is a file.
        assert failed(instance, webhook, deliver(warehouse, instance, webhook, **replaced, approve=True,
                                                 drop=a_file / "drop")) == ["app: delivery FAILED"]
        titles, run = deliver(warehouse, instance, webhook, **replaced, approve=True)
        assert run.status == dg.DagsterRunStatus.SUCCESS and titles == ["app: delivery is back to ok (was critical)"]
    refused, other = (post["blocks"][0]["text"]["text"] for post in webhook.received[:2])
    assert "BlastRadiusExceeded" in refused and "approve_large_change=app" in refused
    assert f"partition: {DAY}" in refused and "sync app-2025-03-12-" in refused
    assert "NotADirectoryError" in other or "FileExistsError" in other


def sync(conn: duckdb.DuckDBPyConnection, tmp_path: Path, rows: int, rejected: int, seconds: int) -> str:
    """A successful sync of `rows` rows in the ledger, with its rejects and duration as a destination reports them."""
    ledger = Ledger(conn, tmp_path / "sent")
    sync_id = ledger.start(CONSUMER.name, DAY, "sync", f"hash-{rows}-{rejected}-{seconds}", "run")
    ledger.finish(sync_id, "succeeded")
    conn.execute("update delivery.syncs set rows = ?, rejected = ?, finished_at = started_at + to_seconds(?) "
                 "where sync_id = ?", [rows, rejected, seconds, sync_id])
    return sync_id


def judge(conn, webhook: Webhook, consumer: Consumer) -> list[str]:
    before = len(webhook.received)
    notify_alert_policy(conn, consumer, sink(webhook), dg.DagsterRun(job_name="deliver", run_id="r1"),
                        logging.getLogger())
    return webhook.titles[before:]


def test_rejected_records_and_a_slow_sync_each_notify_on_their_own_changes(tmp_path, webhook):
    consumer = replace(CONSUMER, alerts=AlertThresholds(
        rejected_share=Threshold(warn=0.02, critical=0.10), duration_seconds=Threshold(warn=60, critical=600)))
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as conn:
        sync(conn, tmp_path, 1000, None, 5)
        assert judge(conn, webhook, consumer) == []  # a null count of rejects is none
        sync(conn, tmp_path, 1000, 30, 5)
        assert judge(conn, webhook, consumer) == ["app: rejected_share is WARN"]
        sync(conn, tmp_path, 1000, 150, 120)
        assert judge(conn, webhook, consumer) == ["app: rejected_share is CRITICAL", "app: duration_seconds is WARN"]
        sync(conn, tmp_path, 1000, 0, 700)
        assert judge(conn, webhook, consumer) == ["app: rejected_share is back to ok (was critical)",
                                                  "app: duration_seconds is CRITICAL"]
        assert judge(conn, webhook, consumer) == []  # judging the same sync again owes nothing
        state = conn.execute("select signal, level from delivery.alert_state order by all").fetchall()
    assert state == [("delivery", "ok"), ("duration_seconds", "critical"), ("rejected_share", "ok"),
                     ("volume_drop", "ok")]


def test_a_notification_the_webhook_refused_is_sent_at_the_next_evaluation(tmp_path, webhook):
    consumer = replace(CONSUMER, alerts=AlertThresholds(
        duration_seconds=Threshold(warn=60, critical=600)))
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as conn:
        sync(conn, tmp_path, 10, 0, 90)
        webhook.failures = 1
        assert judge(conn, webhook, consumer) == []
        assert judge(conn, webhook, consumer) == ["app: duration_seconds is WARN"]
        assert judge(conn, webhook, consumer) == []


def test_the_same_ten_minute_sync_warns_for_a_strict_consumer_and_not_under_the_defaults(tmp_path, webhook):
    patient = replace(CONSUMER, name="patient")
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as conn:
        for name in ("app", "patient"):
            Ledger(conn, tmp_path / "sent")
            conn.execute("insert into delivery.syncs (sync_id, consumer, partition_date, action, status, rows, "
                         "started_at, finished_at) values (?, ?, ?, 'sync', 'succeeded', 10, ?, ?)",
                         [f"{name}-1", name, DAY, "2025-03-12 08:00:00+00", "2025-03-12 08:10:00+00"])
        strict = replace(CONSUMER, alerts=AlertThresholds(
            duration_seconds=Threshold(warn=300, critical=3600)))
        assert judge(conn, webhook, strict) == ["app: duration_seconds is WARN"]
        assert judge(conn, webhook, patient) == []  # the project default warns at 15 minutes


def test_a_delivery_failure_the_policy_cannot_judge_still_reaches_the_run_failure_alert(tmp_path, webhook):
    unopenable = tmp_path / "a_folder_not_a_warehouse"
    unopenable.mkdir()
    asset = build_destination_asset(CONSUMER, dg.AssetKey(["exports", "exp_app"]), dg.AssetKey("verdicts"),
                                    "file_drop")
    with dg.instance_for_test() as instance:
        result = dg.materialize([asset], instance=instance, raise_on_error=False, resources={
            "warehouse": Warehouse(path=str(unopenable)), "alerts": sink(webhook),
            resource_key(CONSUMER): DestinationTarget(kind="file_drop", url=str(tmp_path))})
        assert failed(instance, webhook, ([], instance.get_run_by_id(result.run_id))) == [
            "Run of __ephemeral_asset_job__ failed"]
