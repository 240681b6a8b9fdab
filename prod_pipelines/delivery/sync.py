"""One sync of one consumer, and its undo: decide, diff, guard, send, record.

Shared by the delivery assets and the `rollback` command, so both go through the same destination
code and leave the same ledger trail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pyarrow as pa

from prod_pipelines.delivery import sync_log
from prod_pipelines.delivery.changes import Changes, compare, sample_lines
from prod_pipelines.delivery.consumers import Consumer
from prod_pipelines.delivery.destinations.protocol import Destination, Receipt
from prod_pipelines.delivery.guard import BlastRadiusExceeded, churn, enforce
from prod_pipelines.delivery.ledger import Ledger


class RecordsRejected(RuntimeError):
    """The consumer refused more records than it allows (`meta.consumer.max_rejected_share`)."""


@dataclass(frozen=True)
class Outcome:
    status: str  # sent | skipped: <why>
    sync_id: str | None = None
    receipt: Receipt | None = None
    changes: Changes | None = None  # what the sync changed against what was last sent


def deliver(ledger: Ledger, consumer: Consumer, destination: Destination, partition: date, rows: pa.Table,
            content_hash: str, run_id: str, max_share: float, is_approved: bool) -> Outcome:
    """Sends `rows` (partition `partition` of the consumer's export) unless that would re-send history."""
    current = ledger.current(consumer.name)
    if reason := skip_reason(ledger, consumer, partition, content_hash):
        return Outcome(f"skipped: {reason}")
    previous = ledger.sent(current) if current is not None else None
    changes = compare(previous, rows, consumer.key)
    sync_id = ledger.start(consumer.name, partition, "sync", content_hash, run_id)
    try:
        enforce(consumer.name, churn(changes), max_share, is_approved)
    except BlastRadiusExceeded as refusal:
        shown = "\n".join([f"{refusal}", f"The refused plan for {partition}: {changes.counts()}; for example:",
                           *(f"  {line}" for line in sample_lines(changes.samples()))])
        ledger.finish(sync_id, "refused", shown)
        raise BlastRadiusExceeded(shown) from None
    receipt = _send(ledger, consumer, destination, sync_id, partition, rows, previous, changes)
    return Outcome("sent", sync_id, receipt, changes)


def skip_reason(ledger: Ledger, consumer: Consumer, partition: date, content_hash: str) -> str | None:
    """Why this content must not be sent (history, no change, rolled back); None when it is due.
    Unchanged content is still due while the consumer has refused records to retry."""
    current = ledger.current(consumer.name)
    if current is not None and partition < current.partition_date:
        return "older than the partition the consumer holds (history is never re-sent)"
    if current is not None and partition == current.partition_date and content_hash == current.content_hash \
            and not sync_log.pending_retries(ledger.conn, consumer.name):
        return "unchanged since the last sync"
    if ledger.was_rolled_back(consumer.name, partition, content_hash):
        return "this content was rolled back; it is not re-sent until it changes"
    return None


def rollback(ledger: Ledger, consumer: Consumer, destination: Destination, to_sync_id: str | None,
             run_id: str) -> Outcome:
    """Restores the consumer to the sync before the current one (or `to_sync_id`) and records it."""
    current = ledger.current(consumer.name)
    if current is None:
        raise ValueError(f"{consumer.name}: nothing was ever delivered, there is nothing to roll back")
    target = ledger.get(consumer.name, to_sync_id) if to_sync_id else ledger.previous_good(consumer.name, current)
    if target is None:
        raise ValueError(f"{consumer.name}: no earlier successful sync to roll back to"
                         + (f" (no sync {to_sync_id!r})" if to_sync_id else ""))
    rows = ledger.sent(target)
    sync_id = ledger.start(consumer.name, target.partition_date, "rollback", target.content_hash, run_id)
    previous = ledger.sent(current)
    receipt = _send(ledger, consumer, destination, sync_id, target.partition_date, rows, previous,
                    compare(previous, rows, consumer.key))
    ledger.mark_rolled_back(current.sync_id)
    return Outcome(f"rolled back to {target.sync_id}", sync_id, receipt)


def _send(ledger: Ledger, consumer: Consumer, destination: Destination, sync_id: str, partition: date,
          rows: pa.Table, previous: pa.Table | None, changes: Changes) -> Receipt:
    """Sends, logs each record's outcome, and judges the sync: records the consumer refused fail it only
    above the consumer's `max_rejected_share`; below it, it succeeds with rejects, retried next time."""
    ledger.keep_sent(consumer.name, sync_id, rows)  # first: a sync that reached the consumer always has its copy
    key, retry = list(consumer.key), sync_log.pending_retries(ledger.conn, consumer.name)
    try:
        receipt = destination.sync(consumer.name, partition, rows, key=key, previous=previous, retry=retry)
    except Exception as error:
        ledger.finish(sync_id, "failed", f"{type(error).__name__}: {error}")
        raise
    changed = sync_log.operations(changes, retry)
    changed |= {e: "update" for e in receipt.rejected if e not in changed}
    sync_log.record(ledger.conn, consumer.name, sync_id, partition, changed, receipt.rejected, ledger.retention_days)
    if not receipt.rejected:
        ledger.finish(sync_id, "succeeded", receipt=receipt)
        return receipt
    # The share of the export the consumer does not hold as sent: the same whether the refused records
    # came with a day's changes or alone, as retries.
    share = len(receipt.rejected) / max(rows.num_rows, 1)
    first = sorted(receipt.rejected.items())[:3]
    count = len(receipt.rejected)
    summary = (f"{count} record{'' if count == 1 else 's'} refused, {share:.1%} of the {rows.num_rows} exported "
               f"(the limit is {consumer.max_rejected_share:.1%}), e.g. " + "; ".join(f"{e}: {why}" for e, why in first)
               + f". See delivery.sync_changelog where sync_id = '{sync_id}'.")
    if share > consumer.max_rejected_share:
        ledger.finish(sync_id, "failed", summary, receipt=receipt)
        raise RecordsRejected(f"{consumer.name}: {summary}")
    ledger.finish(sync_id, "succeeded", f"with rejects: {summary} They are retried by every later sync.",
                  receipt=receipt)
    return receipt
