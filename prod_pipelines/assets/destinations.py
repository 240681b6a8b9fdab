"""`destinations/<consumer>`: send the newest complete partition of the consumer's one export.

Unpartitioned on purpose: a backfill recomputes history in the exports, but a consumer only ever
receives the newest complete partition, once per distinct content (see delivery/sync.py).
"""

from datetime import date

import dagster as dg

from prod_pipelines.catalog import column_schema
from prod_pipelines.delivery.consumers import Consumer
from prod_pipelines.delivery.guard import APPROVE_TAG, DEFAULT_MAX_SHARE, approved
from prod_pipelines.delivery.ledger import Ledger
from prod_pipelines.delivery.sync import deliver
from prod_pipelines.delivery.targets import resource_key


class DeliveryConfig(dg.Config):
    """Run config of a delivery: approving a change larger than the blast-radius limit."""

    approve_large_change: bool = False


def newest_complete_partition(instance: dg.DagsterInstance, export_key: dg.AssetKey, consumer: Consumer) -> date | None:
    """The newest partition of the export that this consumer is sent (e.g. Mondays only) and that
    is complete: its latest materialization came from a run in which no ERROR check failed."""
    days = sorted((date.fromisoformat(k) for k in instance.get_materialized_partitions(export_key)), reverse=True)
    verdicts: dict[str, bool] = {}
    for day in (d for d in days if consumer.sends_for(d.weekday())):
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=export_key, asset_partitions=[day.isoformat()]), limit=1).records
        run_id = records[0].run_id
        if run_id not in verdicts:
            verdicts[run_id] = not _failed_error_checks(instance, run_id)
        if verdicts[run_id]:
            return day
    return None


def _failed_error_checks(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    failed = []
    for record in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION):
        evaluation = record.dagster_event.event_specific_data
        if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR:
            failed.append(f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}")
    return failed


def build_destination_asset(consumer: Consumer, export_key: dg.AssetKey) -> dg.AssetsDefinition:
    target_key = resource_key(consumer)

    @dg.asset(
        key=["destinations", consumer.name],
        group_name="destinations",
        deps=[export_key],
        description=(f"Delivers the newest complete partition of {consumer.export_model} to {consumer.name} "
                     f"({consumer.destination}); never re-sends history. SLA: {consumer.sla}."),
        owners=[consumer.owner],
        kinds={"parquet"} if consumer.destination == "file_drop" else {consumer.destination.split("_")[0]},
        tags={"tier": "gold", "consumer": consumer.name},
        metadata={**({"dagster/column_schema": schema} if (schema := column_schema(export_key.to_user_string())) else {}),
                  "export": consumer.export_model, "destination": consumer.destination, "sla": consumer.sla,
                  "send_on": consumer.send_on, "key": ", ".join(consumer.key),
                  "max_change_share": consumer.max_change_share},
        required_resource_keys={"warehouse", target_key},
        pool="warehouse",
        output_required=False,
    )
    def deliver_newest(context: dg.AssetExecutionContext, config: DeliveryConfig):
        partition = newest_complete_partition(context.instance, export_key, consumer)
        if partition is None:  # e.g. the weekly email before the first Monday: nothing is due, nothing is sent
            context.log.info(f"{consumer.name}: no complete partition of {consumer.export_model} to deliver yet")
            return
        destination = getattr(context.resources, target_key).build()
        is_approved = config.approve_large_change or approved(consumer.name, context.run.tags.get(APPROVE_TAG))
        table = f"exports.{consumer.export_model}"
        with context.resources.warehouse.connect() as conn:
            rows = conn.sql(f"select * from {table} where as_of_date = ? order by all", params=[partition]).to_arrow_table()
            digest = conn.execute(f"select coalesce(md5(string_agg(t::varchar, '\\n' order by t::varchar)), '') "
                                  f"from {table} t where as_of_date = ?", [partition]).fetchone()[0]
            ledger = Ledger(conn, context.resources.warehouse.sent_dir)
            outcome = deliver(ledger, consumer, destination, partition, rows, digest, context.run.run_id,
                              consumer.max_change_share or DEFAULT_MAX_SHARE, is_approved)
        context.log.info(f"{consumer.name}: {outcome.status} ({partition}, {rows.num_rows} rows)")
        metadata = {"partition": partition.isoformat(), "rows": rows.num_rows, "content_hash": digest,
                    "status": outcome.status}
        if outcome.receipt is not None:
            r = outcome.receipt
            metadata |= {"sync_id": outcome.sync_id, "location": r.location, "added": r.added,
                         "changed": r.changed, "removed": r.removed}
        yield dg.MaterializeResult(metadata=metadata)

    return deliver_newest
