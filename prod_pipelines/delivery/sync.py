"""One sync of one consumer, and its undo: decide, diff, guard, send, record.

Shared by the delivery assets and the `rollback` command, so both go through the same destination
code and leave the same ledger trail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pyarrow as pa

from prod_pipelines.delivery.consumers import Consumer
from prod_pipelines.delivery.destinations.protocol import Destination, Receipt
from prod_pipelines.delivery.guard import BlastRadiusExceeded, churn, enforce
from prod_pipelines.delivery.ledger import Ledger


@dataclass(frozen=True)
class Outcome:
    status: str  # sent | skipped: <why>
    sync_id: str | None = None
    receipt: Receipt | None = None


def deliver(ledger: Ledger, consumer: Consumer, destination: Destination, partition: date, rows: pa.Table,
            content_hash: str, run_id: str, max_share: float, is_approved: bool) -> Outcome:
    """Sends `rows` (partition `partition` of the consumer's export) unless that would re-send history."""
    current = ledger.current(consumer.name)
    if reason := skip_reason(ledger, consumer, partition, content_hash):
        return Outcome(f"skipped: {reason}")
    previous = ledger.sent(current) if current is not None else None
    sync_id = ledger.start(consumer.name, partition, "sync", content_hash, run_id)
    try:
        enforce(consumer.name, churn(previous, rows, list(consumer.key)), max_share, is_approved)
    except BlastRadiusExceeded as refusal:
        ledger.finish(sync_id, "refused", str(refusal))
        raise
    return Outcome("sent", sync_id, _send(ledger, consumer, destination, sync_id, partition, rows, previous))


def skip_reason(ledger: Ledger, consumer: Consumer, partition: date, content_hash: str) -> str | None:
    """Why this content must not be sent (history, no change, rolled back); None when it is due."""
    current = ledger.current(consumer.name)
    if current is not None and partition < current.partition_date:
        return "older than the partition the consumer holds (history is never re-sent)"
    if current is not None and partition == current.partition_date and content_hash == current.content_hash:
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
    receipt = _send(ledger, consumer, destination, sync_id, target.partition_date, rows, ledger.sent(current))
    ledger.mark_rolled_back(current.sync_id)
    return Outcome(f"rolled back to {target.sync_id}", sync_id, receipt)


def _send(ledger: Ledger, consumer: Consumer, destination: Destination, sync_id: str, partition: date,
          rows: pa.Table, previous: pa.Table | None) -> Receipt:
    ledger.keep_sent(consumer.name, sync_id, rows)  # first: a sync that reached the consumer always has its copy
    try:
        receipt = destination.sync(consumer.name, partition, rows, key=list(consumer.key), previous=previous)
    except Exception as error:
        ledger.finish(sync_id, "failed", f"{type(error).__name__}: {error}")
        raise
    ledger.finish(sync_id, "succeeded", receipt=receipt)
    return receipt
