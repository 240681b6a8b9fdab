"""`destinations/<consumer>`: send the newest complete day of the consumer's one export.

Unpartitioned on purpose: a backfill recomputes history in the exports, but a consumer only ever
receives the newest day the day verdict calls complete (completeness/verdict.py), once per distinct
content (see delivery/sync.py). Days held back are shown, with their reasons, by the `newest_day_delivered`
check, which warns: the consumer kept its last good data, nothing failed on its side. After each
delivery the consumer's alert policy judges its newest sync (delivery/alert_policy.py): here, because
this step holds the warehouse that the ledger and the policy's state live in.
Each destination carries its SLA as a cron `FreshnessPolicy`, which the daemon evaluates even when
nothing runs, so the UI's freshness badge shows a consumer past its deadline; the per-day checks
still do the gating, and `prod-pipelines health` gives the full answer (held days, failing checks).
"""


import dagster as dg

from prod_pipelines.automation.alerts import notify_alert_policy, notify_delivery_failure
from prod_pipelines.catalog.columns import column_schema
from prod_pipelines.completeness.verdict import newest_complete_day
from prod_pipelines.delivery.consumers import Consumer
from prod_pipelines.delivery.destinations.resource import resource_key
from prod_pipelines.delivery.guard import APPROVE_TAG, DEFAULT_MAX_SHARE, approved
from prod_pipelines.delivery.ledger import Ledger
from prod_pipelines.delivery.preview import export_rows
from prod_pipelines.delivery.sla import TIMEZONE, deadline_period
from prod_pipelines.delivery.sync import deliver


class DeliveryConfig(dg.Config):
    """Run config of a delivery: approving a change larger than the blast-radius limit."""

    approve_large_change: bool = False


def delivery_key(consumer: Consumer) -> dg.AssetKey:
    """`destinations/<consumer>`: the asset that sends a consumer its export."""
    return dg.AssetKey(["destinations", consumer.name])


KIND_TAGS = {"file_drop": "parquet", "http_api": "http", "postgres": "postgres"}  # the UI's kind badges


def build_destination_asset(consumer: Consumer, export_key: dg.AssetKey, verdict_key: dg.AssetKey,
                            kind: str) -> dg.AssetsDefinition:
    """`kind` is the destination this environment sends to, which in dev may be a local file drop
    standing in for the consumer's production destination (`consumer.destination`)."""
    target_key = resource_key(consumer)
    key = delivery_key(consumer)

    @dg.asset(
        key=key,
        group_name="destinations",
        deps=[export_key, verdict_key],
        check_specs=[dg.AssetCheckSpec("newest_day_delivered", asset=key, description=(
            "The consumer holds the newest day judged; when it does not, the held-back days and why."))],
        description=(f"Delivers the newest complete day of {consumer.export_label} to {consumer.name} "
                     f"({kind}" + ("" if kind == consumer.destination else f" here; {consumer.destination} in "
                                   "production") + f"); never re-sends history. SLA: {consumer.sla}."),
        owners=[consumer.owner],
        freshness_policy=dg.FreshnessPolicy.cron(deadline_cron=consumer.deadline_cron, timezone=TIMEZONE,
                                                 lower_bound_delta=deadline_period(consumer.deadline_cron)),
        kinds={KIND_TAGS[kind]},
        tags={"tier": "gold", "consumer": consumer.name},
        metadata={**({"dagster/column_schema": schema}
                     if (schema := column_schema(export_key.to_user_string())) else {}),
                  "export": consumer.export_asset, "export_version": consumer.export_label,
                  "retired_on": consumer.deprecation_date or "", "destination": kind,
                  "production_destination": consumer.destination,
                  "sla": consumer.sla,
                  "send_on": consumer.send_on, "key": ", ".join(consumer.key),
                  "max_change_share": consumer.max_change_share},
        required_resource_keys={"warehouse", target_key, "alerts"},
        pool="warehouse",
        output_required=False,
    )
    def deliver_newest(context: dg.AssetExecutionContext, config: DeliveryConfig):
        try:
            yield from _deliver(context, config, consumer, key, target_key)
        except Exception as error:
            judged = judged_failure(context, consumer, error)
            if judged is error:
                raise
            raise judged from error

    return deliver_newest


def _deliver(context: dg.AssetExecutionContext, config: DeliveryConfig, consumer: Consumer, key: dg.AssetKey,
             target_key: str):
    with context.resources.warehouse.connect(read_only=True) as conn:
        partition, held_back = newest_complete_day(conn, lambda day: consumer.sends_for(day.weekday()))
    held = {v.day.isoformat(): list(v.reasons) for v in held_back}
    if held_back:
        context.log.warning(f"{consumer.name}: held back for every consumer: "
                            + " | ".join(f"{v.day}: {v.reason_text}" for v in held_back))
    if partition is None:  # e.g. the weekly email before the first Monday: nothing is due, nothing is sent
        context.log.info(f"{consumer.name}: no complete day of {consumer.export_label} to deliver yet")
        yield _held_back_check(key, consumer, None, held)
        return
    destination = getattr(context.resources, target_key).build()
    is_approved = config.approve_large_change or approved(consumer.name, context.run.tags.get(APPROVE_TAG))
    with context.resources.warehouse.connect() as conn:
        rows, digest = export_rows(conn, consumer, partition)
        ledger = Ledger.of(conn, context.resources.warehouse)
        outcome = deliver(ledger, consumer, destination, partition, rows, digest, context.run.run_id,
                          consumer.max_change_share or DEFAULT_MAX_SHARE, is_approved)
        notified = notify_alert_policy(conn, consumer, context.resources.alerts, context.run, context.log)
    context.log.info(f"{consumer.name}: {outcome.status} ({partition}, {rows.num_rows} rows)")
    metadata = {"partition": partition.isoformat(), "rows": rows.num_rows, "content_hash": digest,
                "status": outcome.status, "held_back": dg.MetadataValue.json(held),
                "alerts_sent": dg.MetadataValue.json([a["title"] for a in notified])}
    if outcome.receipt is not None:
        r = outcome.receipt
        metadata |= {"sync_id": outcome.sync_id, "location": r.location, "added": r.added,
                     "changed": r.changed, "removed": r.removed, "rejected": len(r.rejected),
                     "sync_log": dg.MetadataValue.md(
                         f"`select * from delivery.sync_changelog where sync_id = '{outcome.sync_id}'`"),
                     "changes": dg.MetadataValue.json(outcome.changes.samples())}
    yield dg.MaterializeResult(metadata=metadata)
    yield _held_back_check(key, consumer, partition, held)


def judged_failure(context: dg.AssetExecutionContext, consumer: Consumer, error: Exception) -> Exception:
    """What a failed delivery raises: a Failure the alert policy judged (notified once per distinct failure),
    or `error` itself when the policy cannot judge it (e.g. the warehouse is locked): then the
    run-failure alert reports it, as it does every failure outside the delivery steps."""
    try:
        with context.resources.warehouse.connect() as conn:
            return notify_delivery_failure(conn, consumer, context.resources.alerts, context.run, error)
    except Exception as judging:
        context.log.warning(f"{consumer.name}: the alert policy could not judge this failure ({judging})")
        return error


def _held_back_check(key: dg.AssetKey, consumer: Consumer, delivered, held: dict) -> dg.AssetCheckResult:
    summary = (f"holds {delivered}" if delivered else "holds nothing yet") + (
        f"; held back: {', '.join(sorted(held))}" if held else "")
    return dg.AssetCheckResult(asset_key=key, check_name="newest_day_delivered", passed=not held,
                               severity=dg.AssetCheckSeverity.WARN, description=summary,
                               metadata={"consumer": consumer.name, "holds": str(delivered or ""),
                                         "held_back": dg.MetadataValue.json(held)})
