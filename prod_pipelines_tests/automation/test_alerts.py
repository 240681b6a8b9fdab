"""A failing run and a failing ERROR check each produce exactly one alert: to a webhook, or to alerts.jsonl."""

from __future__ import annotations

import json

import dagster as dg
import pytest

from prod_pipelines.automation.alerts import AlertSink, alert_on_failed_error_checks, alert_on_run_failure
from prod_pipelines_tests.support.sensors import evaluate_run_sensor
from prod_pipelines_tests.support.webhook import Webhook

PARTITIONS = dg.DailyPartitionsDefinition(start_date="2025-01-01")
KEY = dg.AssetKey(["exports", "exp_demo"])


@dg.asset(key=KEY, partitions_def=PARTITIONS)
def broken_export() -> None:
    raise ValueError("inventory: inventory/dt=2025-03-12/part-0.csv: missing column(s) on_hand_qty")


@dg.asset(key=KEY, partitions_def=PARTITIONS, check_specs=[dg.AssetCheckSpec("freshness_check", asset=KEY)])
def late_export():
    return dg.MaterializeResult(check_results=[dg.AssetCheckResult(
        check_name="freshness_check", passed=False, severity=dg.AssetCheckSeverity.ERROR,
        description="We expected partition 2025-03-12 to have arrived, and it has not.")])


@pytest.fixture
def webhook():
    hook = Webhook()
    yield hook
    hook.close()


def test_a_failing_run_sends_one_alert_naming_asset_partition_run_and_error(webhook, tmp_path):
    with dg.instance_for_test() as instance:
        result = dg.materialize([broken_export], partition_key="2025-03-12", instance=instance, raise_on_error=False)
        run = instance.get_run_by_id(result.run_id)
        evaluate_run_sensor(alert_on_run_failure, instance, run,
                            {"alerts": AlertSink(webhook_url=webhook.url, fallback_file=str(tmp_path / "a"))})
    assert len(webhook.received) == 1
    text = webhook.received[0]["blocks"][0]["text"]["text"]
    assert "exports/exp_demo" in text and "2025-03-12" in text and result.run_id in text
    assert "missing column(s) on_hand_qty" in text
    assert webhook.received[0]["text"].startswith("Run of ")


def test_a_failing_error_check_in_a_successful_run_sends_one_alert(webhook, tmp_path):
    with dg.instance_for_test() as instance:
        result = dg.materialize([late_export], partition_key="2025-03-12", instance=instance)
        assert result.success
        run = instance.get_run_by_id(result.run_id)
        evaluate_run_sensor(alert_on_failed_error_checks, instance, run,
                            {"alerts": AlertSink(webhook_url=webhook.url, fallback_file=str(tmp_path / "a"))})
    assert len(webhook.received) == 1
    assert "freshness_check" in webhook.received[0]["blocks"][0]["text"]["text"]


def test_without_a_webhook_alerts_are_appended_to_alerts_jsonl(tmp_path):
    sink = AlertSink(webhook_url=None, fallback_file=str(tmp_path / "alerts.jsonl"))
    with dg.instance_for_test() as instance:
        failed = dg.materialize([broken_export], partition_key="2025-03-12", instance=instance, raise_on_error=False)
        evaluate_run_sensor(alert_on_run_failure, instance, instance.get_run_by_id(failed.run_id), {"alerts": sink})
        late = dg.materialize([late_export], partition_key="2025-03-13", instance=instance)
        evaluate_run_sensor(alert_on_failed_error_checks, instance, instance.get_run_by_id(late.run_id),
                            {"alerts": sink})
    alerts = [json.loads(line) for line in (tmp_path / "alerts.jsonl").read_text().splitlines()]
    assert [(a["kind"], a["partition"], a["run_id"]) for a in alerts] == [
        ("run_failure", "2025-03-12", failed.run_id), ("check_failure", "2025-03-13", late.run_id)]
    assert alerts[0]["assets"] == ["exports/exp_demo"]
