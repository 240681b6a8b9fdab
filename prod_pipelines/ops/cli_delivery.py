"""The `prod-pipelines` commands about consumers: deliver, roll back, list syncs, judge health."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from prod_pipelines.ops.cli_pipeline import reported
from prod_pipelines.settings import Settings


def deliver(args: argparse.Namespace, settings: Settings) -> int:
    from prod_pipelines.ops.runner import open_instance, run_delivery

    if args.dry_run:
        from prod_pipelines.delivery.operations import preview_deliveries

        print(preview_deliveries(settings, args.approve_large_change, args.format))
        return 0

    return 0 if reported(run_delivery(open_instance(settings), args.approve_large_change)) else 1


def rollback(args: argparse.Namespace, settings: Settings) -> int:
    from prod_pipelines.delivery.operations import roll_back

    outcome = roll_back(settings, args.consumer, args.to_sync_id)
    receipt = outcome.receipt
    print(f"{args.consumer}: {outcome.status} as sync {outcome.sync_id}: {receipt.rows} rows at {receipt.location} "
          f"({receipt.added} added, {receipt.changed} changed, {receipt.removed} removed)")
    return 0


def syncs(args: argparse.Namespace, settings: Settings) -> int:
    from prod_pipelines.delivery.operations import record_history, sync_history

    if args.key is not None:
        found = record_history(settings, args.consumer, args.key)
        for entry in found:
            print(f"{entry['synced_at']:%Y-%m-%d %H:%M:%S} {entry['partition_date']} {entry['record_key']:<24} "
                  f"{entry['operation']:<7} {entry['result']:<9} {entry['sync_id']}  {entry['error'] or ''}")
        if not found:
            print(f"{args.consumer}: no logged operation on a record {args.key!r} (within the log's retention)")
        return 0
    for sync in sync_history(settings, args.consumer):
        rejected = f"  {sync['rejected']} rejected" if sync["rejected"] else ""
        print(f"{sync['sync_id']:<45} {sync['action']:<8} {sync['status']:<11} {sync['partition_date']} "
              f"{sync['rows'] if sync['rows'] is not None else '-':>7} rows{rejected}  {sync['message'] or ''}")
    return 0


def moment(text: str) -> datetime:
    """An ISO timestamp; without an offset it is UTC."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO timestamp such as 2025-03-13T10:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def health(args: argparse.Namespace, settings: Settings) -> int:
    import json

    from prod_pipelines.delivery.consumers import consumers
    from prod_pipelines.ops.health import judge, report
    from prod_pipelines.warehouse import Warehouse

    if not settings.warehouse_path.exists():
        raise FileNotFoundError(f"{settings.warehouse_path}: no warehouse yet; run a backfill first")
    at = args.at or datetime.now(UTC)
    with Warehouse.of(settings).connect(read_only=True) as conn:
        health = judge(conn, consumers(), settings.start_date, at)
    print(json.dumps([h.as_json() for h in health], indent=2) if args.format == "json" else report(health, at))
    return 1 if any(h.needs_person for h in health) else 0
