"""`destinations/<consumer>`: send the newest complete partition of the consumer's one export.

Unpartitioned on purpose: a backfill recomputes history in the exports, but a consumer only ever
receives the newest partition, once per distinct content (see delivery/ledger.py).
"""


from datetime import date
from pathlib import Path

import dagster as dg

from prod_pipelines.delivery.consumers import Consumer
from prod_pipelines.delivery.destinations import Destination, destination_for
from prod_pipelines.delivery.ledger import ensure_ledger, last_sync, record_sync
from prod_pipelines.warehouse import Warehouse


class Destinations(dg.ConfigurableResource):
    """Where each kind of destination writes; local folders by default."""

    file_drop_root: str

    def for_consumer(self, consumer: Consumer) -> Destination:
        return destination_for(consumer.destination, Path(self.file_drop_root))


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
    @dg.asset(
        key=["destinations", consumer.name],
        group_name="destinations",
        deps=[export_key],
        description=(f"Delivers the newest complete partition of {consumer.export_model} to {consumer.name} "
                     f"({consumer.destination}); never re-sends history. SLA: {consumer.sla}."),
        owners=[consumer.owner],
        kinds={"parquet"} if consumer.destination == "file_drop" else {consumer.destination},
        tags={"tier": "gold", "consumer": consumer.name},
        metadata={"export": consumer.export_model, "destination": consumer.destination,
                  "sla": consumer.sla, "send_on": consumer.send_on},
        pool="warehouse",
    )
    def deliver(context: dg.AssetExecutionContext, warehouse: Warehouse, destinations: Destinations) -> dg.MaterializeResult:
        partition = newest_complete_partition(context.instance, export_key, consumer)
        if partition is None:
            raise dg.Failure(f"{consumer.export_model} has no complete partition for {consumer.name} to deliver yet")
        with warehouse.connect() as conn:
            ensure_ledger(conn)
            table = f"exports.{consumer.export_model}"
            rows = conn.execute(f"select * from {table} where as_of_date = ? order by all", [partition]).to_arrow_table()
            digest = conn.execute(
                f"select coalesce(md5(string_agg(t::varchar, '\n' order by t::varchar)), '') "
                f"from {table} t where as_of_date = ?", [partition]).fetchone()[0]
            previous = last_sync(conn, consumer.name)
            status = _decide(previous, partition, digest)
            metadata = {"partition": partition.isoformat(), "rows": rows.num_rows, "content_hash": digest, "status": status}
            if status != "sent":
                context.log.info(f"{consumer.name}: nothing sent for {partition} ({status})")
                return dg.MaterializeResult(metadata=metadata)
            receipt = destinations.for_consumer(consumer).sync(consumer.name, partition, rows, key=[], previous=None)
            sync_id = record_sync(conn, consumer=consumer.name, partition=partition, rows=receipt.rows,
                                  content_hash=digest, location=receipt.location, run_id=context.run.run_id)
        context.log.info(f"{consumer.name}: sent {receipt.rows} rows of {partition} to {receipt.location}")
        return dg.MaterializeResult(metadata={**metadata, "sync_id": sync_id, "location": receipt.location})

    return deliver


def _decide(previous, partition: date, digest: str) -> str:
    if previous is None:
        return "sent"
    if partition < previous.partition_date:
        return "skipped: older than the last delivered partition (history is never re-sent)"
    if partition == previous.partition_date and digest == previous.content_hash:
        return "skipped: unchanged since the last delivery"
    return "sent"
