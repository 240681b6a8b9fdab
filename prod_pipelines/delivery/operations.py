"""Operator commands on deliveries: list a consumer's syncs or one record's history, roll a consumer
back, preview a delivery."""

from __future__ import annotations

import dataclasses
import json

from prod_pipelines.delivery import sync_log
from prod_pipelines.delivery.consumers import Consumer, consumers
from prod_pipelines.delivery.destinations.resource import target_for
from prod_pipelines.delivery.guard import approved
from prod_pipelines.delivery.ledger import Ledger
from prod_pipelines.delivery.preview import plan, render
from prod_pipelines.delivery.sync import Outcome, rollback
from prod_pipelines.settings import Settings
from prod_pipelines.warehouse import Warehouse


def find_consumer(name: str) -> Consumer:
    known = {c.name: c for c in consumers()}
    if name not in known:
        raise ValueError(f"unknown consumer {name!r} (known: {', '.join(sorted(known))})")
    return known[name]


def roll_back(settings: Settings, consumer_name: str, to_sync_id: str | None) -> Outcome:
    consumer = find_consumer(consumer_name)
    destination = target_for(consumer, settings).process_config_and_initialize().build()
    warehouse = Warehouse.of(settings)
    with warehouse.connect() as conn:
        return rollback(Ledger.of(conn, warehouse), consumer, destination, to_sync_id, run_id="cli-rollback")


def preview_deliveries(settings: Settings, approve_large_change: str | None, fmt: str = "text") -> str:
    """`deliver --dry-run`: each consumer's plan (preview.py); nothing is sent or recorded."""
    if not settings.warehouse_path.exists():
        raise FileNotFoundError(f"{settings.warehouse_path}: no warehouse yet; run a backfill first")
    warehouse = Warehouse.of(settings)
    with warehouse.connect() as conn:
        ledger = Ledger.of(conn, warehouse)
        plans = [plan(conn, ledger, c, approved(c.name, approve_large_change)) for c in consumers()]
    if fmt == "json":
        return json.dumps([dataclasses.asdict(p) for p in plans], indent=1, default=str)
    return render(plans)


def sync_history(settings: Settings, consumer_name: str) -> list[dict]:
    consumer = find_consumer(consumer_name)
    warehouse = Warehouse.of(settings)
    with warehouse.connect() as conn:
        return Ledger.of(conn, warehouse).history(consumer.name)


def record_history(settings: Settings, consumer_name: str, key: str) -> list[dict]:
    """`syncs CONSUMER --key K`: what the record(s) `K` got from each sync, and how the consumer answered."""
    consumer = find_consumer(consumer_name)
    if not settings.warehouse_path.exists():
        raise FileNotFoundError(f"{settings.warehouse_path}: no warehouse yet; run a backfill first")
    warehouse = Warehouse.of(settings)
    with warehouse.connect() as conn:
        sync_log.ensure_tables(conn)
        return sync_log.key_history(conn, consumer.name, key)
