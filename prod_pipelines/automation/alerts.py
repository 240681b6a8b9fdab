"""Alerts: a failed run, a refused sync or a failed ERROR check tells a person what broke and where.

An alert names the assets, the partition, the run id and the error. It goes to a webhook as
Slack-compatible JSON (`PROD_PIPELINES_ALERT_WEBHOOK_URL`, a secret: environment only) or, with
no webhook set, is appended to `<data dir>/alerts.jsonl`. Each run is alerted on once (sensor cursor).
A consumer's syncs and delivery steps notify on changes of state instead (delivery/alert_policy.py),
from the destination asset: a failed delivery step the policy judged is marked (`POLICY_MARK`), and
the run-failure alert leaves it out, so a retry that fails the same way stays silent.
"""

import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb
import httpx

from prod_pipelines.automation.failures import FailedCheck, failed_error_checks, step_failure_text
from prod_pipelines.compat import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG
from prod_pipelines.delivery import alert_policy
from prod_pipelines.delivery.consumers import Consumer

REFUSED = "BlastRadiusExceeded"
POLICY_MARK = "alert_policy"  # metadata of a delivery step failure that the alert policy has judged


class AlertSink(dg.ConfigurableResource):
    webhook_url: str | None = None
    fallback_file: str

    def send(self, alert: dict) -> None:
        if self.webhook_url:
            httpx.post(self.webhook_url, json=slack_message(alert), timeout=10).raise_for_status()
            return
        path = Path(self.fallback_file)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as out:
            out.write(json.dumps(alert, sort_keys=True) + "\n")


def slack_message(alert: dict) -> dict:
    said = f"error: {alert['error'][:2500]}" if "error" in alert else alert["detail"]
    lines = [f"*{alert['title']}*", f"assets: {', '.join(alert['assets']) or '-'}",
             f"partition: {alert['partition']}", f"run: {alert['run_id']}", said]
    return {"text": alert["title"],
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}}]}


def partition_of(run: dg.DagsterRun) -> str:
    tags = run.tags
    if "dagster/partition" in tags:
        return tags["dagster/partition"]
    start, end = tags.get(ASSET_PARTITION_RANGE_START_TAG), tags.get(ASSET_PARTITION_RANGE_END_TAG)
    return f"{start}..{end}" if start else "none"


def failed_checks_of(instance: dg.DagsterInstance, run_id: str) -> list[FailedCheck]:
    """Every ERROR check that failed in a run."""
    records = instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)
    return failed_error_checks(r.dagster_event for r in records)


def _alert(kind: str, title: str, assets: list[str], run: dg.DagsterRun, error: str) -> dict:
    return {"kind": kind, "title": title, "assets": sorted(set(assets)), "partition": partition_of(run),
            "run_id": run.run_id, "job": run.job_name, "error": error,
            "at": datetime.now(UTC).isoformat(timespec="seconds")}


def run_failure_alert(instance: dg.DagsterInstance, run: dg.DagsterRun) -> dict | None:
    failed = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.STEP_FAILURE)
    steps = [r for r in failed if not judged_by_policy(r.dagster_event)]
    errors, assets = [], []
    for record in steps:
        errors.append(step_failure_text(record.dagster_event))
        assets += [k.to_user_string() for k in _assets_of_step(instance, run, record.step_key)]
    checks = failed_checks_of(instance, run.run_id)
    errors += [f"check failed: {c.text()}" for c in checks]
    assets += [c.asset for c in checks]
    if failed and not errors:
        return None  # every failed step was a delivery the policy has notified, or knows already
    refused = any(REFUSED in e for e in errors)
    kind, title = ("sync_refused", "Delivery refused by the blast-radius guard") if refused else \
        ("run_failure", f"Run of {run.job_name} failed")
    return _alert(kind, title, assets, run, "\n".join(errors) or "the run failed before any step")


def judged_by_policy(event: dg.DagsterEvent) -> bool:
    user_failure = getattr(event.event_specific_data, "user_failure_data", None)
    return user_failure is not None and POLICY_MARK in (user_failure.metadata or {})


def _assets_of_step(instance: dg.DagsterInstance, run: dg.DagsterRun, step_key: str) -> list[dg.AssetKey]:
    planned = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED)
    return [r.dagster_event.asset_key for r in planned if r.step_key == step_key]


@dg.run_failure_sensor(name="alert_on_run_failure", default_status=dg.DefaultSensorStatus.RUNNING,
                       description="One alert per failed run: assets, partition, run id, error (failed deliveries: "
                                   "once per distinct failure, by the alert policy).")
def alert_on_run_failure(context: dg.RunFailureSensorContext, alerts: AlertSink) -> None:
    if alert := run_failure_alert(context.instance, context.dagster_run):
        alerts.send(alert)


@dg.run_status_sensor(run_status=dg.DagsterRunStatus.SUCCESS, name="alert_on_failed_error_checks",
                      default_status=dg.DefaultSensorStatus.RUNNING,
                      description="One alert per successful run in which an ERROR check failed (e.g. a missed SLA).")
def alert_on_failed_error_checks(context: dg.RunStatusSensorContext, alerts: AlertSink) -> None:
    checks = failed_checks_of(context.instance, context.dagster_run.run_id)
    if checks:
        alerts.send(_alert("check_failure", f"{len(checks)} ERROR check(s) failed", [c.asset for c in checks],
                           context.dagster_run, "\n".join(c.text() for c in checks)))


POLICY_TITLES = {"warn": "{consumer}: {signal} is WARN", "critical": "{consumer}: {signal} is CRITICAL",
                 "failed": "{consumer}: delivery FAILED",
                 "resolved": "{consumer}: {signal} is back to ok (was {held})"}


def policy_alert(change: alert_policy.Change, run: dg.DagsterRun) -> dict:
    """The notification a change of state owes: which consumer, signal and sync, and the value against its levels."""
    signal = change.measurement.signal
    notification = "failed" if signal == alert_policy.DELIVERY and change.notification == "critical" \
        else change.notification
    title = POLICY_TITLES[notification].format(consumer=change.consumer, signal=signal, held=change.held)
    return {"kind": f"policy_{change.notification}", "title": title, "consumer": change.consumer,
            "signal": signal, "level": change.level, "value": change.measurement.value,
            "assets": [f"destinations/{change.consumer}"],
            "partition": change.partition.isoformat() if change.partition else "none",
            "sync_id": change.sync_id, "run_id": run.run_id, "job": run.job_name,
            "detail": (f"sync {change.sync_id}: " if change.sync_id else "") + change.measurement.detail,
            "at": datetime.now(UTC).isoformat(timespec="seconds")}


def notify_alert_policy(conn: duckdb.DuckDBPyConnection, consumer: Consumer, sink: AlertSink, run: dg.DagsterRun,
                        log: logging.Logger | dg.DagsterLogManager) -> list[dict]:
    """After a delivery: sends what each change of state of the consumer's signals owes, then saves the state.

    A notification that cannot be sent is logged and its state left as it was, so the next
    delivery of the consumer sends it again; the delivery itself has succeeded and stays so.
    """
    sent = []
    for change in [*alert_policy.evaluate(conn, consumer.name, consumer.alerts),
                   alert_policy.delivery_change(conn, consumer.name, None)]:
        if change.notification:
            alert = policy_alert(change, run)
            try:
                sink.send(alert)
            except (httpx.HTTPError, OSError) as error:
                log.warning(f"{consumer.name}: could not send the alert {alert['title']!r} ({error}); "
                            "it is sent again at the next delivery")
                continue
            sent.append(alert)
        alert_policy.save(conn, change)
    return sent


def notify_delivery_failure(conn: duckdb.DuckDBPyConnection, consumer: Consumer, sink: AlertSink,
                            run: dg.DagsterRun, error: Exception) -> dg.Failure:
    """A failed delivery step, judged by the policy: notified unless it repeats the failure already notified.

    Returns the Failure the step raises instead, marked so that the run-failure alert leaves it out.
    A notification that cannot be sent raises, and the step's own error then reaches that alert.
    """
    failure = f"{type(error).__name__}: {error}"[:2500]
    change = alert_policy.delivery_change(conn, consumer.name, failure, run.run_id)
    if change.notification:
        sink.send(policy_alert(change, run))
    alert_policy.save(conn, change)
    verdict = "notified" if change.notification else "the same failure was notified already; silent until it recovers"
    return dg.Failure(description=f"{consumer.name}: {failure}", metadata={POLICY_MARK: verdict})
