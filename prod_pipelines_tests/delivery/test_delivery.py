"""Delivery sends each consumer the newest complete partition of its export, and never history."""

from __future__ import annotations

from datetime import date

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from prod_pipelines.delivery.consumers import consumers, consumers_from_manifest
from prod_pipelines.delivery.destinations.file_drop import SUCCESS_MARKER, FileDrop
from prod_pipelines_tests.support.cli import backfilled_landing, run_cli
from prod_pipelines_tests.support.warehouse_state import query

FIRST, WEDNESDAY, LAST_MONDAY = date(2025, 3, 3), date(2025, 3, 12), date(2025, 3, 10)


def ledger(data_dir) -> list[tuple]:
    return query(data_dir, "select consumer, partition_date, rows, status from delivery.syncs order by all")


@pytest.fixture(scope="module")
def delivered(tmp_path_factory):
    return backfilled_landing(tmp_path_factory, "delivery", FIRST, WEDNESDAY)


def test_daily_consumers_get_the_newest_partition_and_the_weekly_email_the_newest_monday(delivered):
    sent = {consumer: partition for consumer, partition, _, status in ledger(delivered) if status == "succeeded"}
    assert sent == {"retailer_app": WEDNESDAY, "salesforce": WEDNESDAY, "crm_email": LAST_MONDAY}


def test_each_consumer_receives_exactly_its_export_partition(delivered):
    conn = duckdb.connect(str(delivered / "warehouse.duckdb"), read_only=True)
    try:
        for consumer in consumers():
            partition = WEDNESDAY if consumer.send_on == "daily" else LAST_MONDAY
            expected = conn.execute(f"select * from exports.{consumer.export_model} where as_of_date = ? order by all",
                                    [partition]).fetchall()
            folder = delivered / "destinations" / consumer.name / f"dt={partition.isoformat()}"
            got = [tuple(r.values()) for r in pq.read_table(folder / "part-0.parquet").to_pylist()]
            assert got == expected and len(got) > 0
            assert (folder / SUCCESS_MARKER).exists()
    finally:
        conn.close()


def test_backfilling_older_history_sends_nothing_to_any_consumer(delivered):
    before = ledger(delivered)
    files_before = sorted(p.relative_to(delivered) for p in (delivered / "destinations").rglob("*"))
    run_cli("backfill", "--start", FIRST.isoformat(), "--end", "2025-03-05", data_dir=delivered, start_date=FIRST)
    assert ledger(delivered) == before
    assert sorted(p.relative_to(delivered) for p in (delivered / "destinations").rglob("*")) == files_before


def test_file_drop_replaces_a_partition_whole_and_leaves_no_temporary_folders(tmp_path):
    drop = FileDrop(str(tmp_path))
    drop.sync("app", FIRST, pa.table({"x": [1, 2, 3]}), key=["x"], previous=None)
    receipt = drop.sync("app", FIRST, pa.table({"x": [4]}), key=["x"], previous=None)
    assert pq.read_table(receipt.location).column("x").to_pylist() == [4]
    assert sorted(p.name for p in (tmp_path / "app").iterdir()) == [f"dt={FIRST.isoformat()}"]
    assert (tmp_path / "app" / f"dt={FIRST.isoformat()}" / SUCCESS_MARKER).read_text().strip() == "1"


def test_an_export_without_a_consumer_is_refused(tmp_path):
    manifest = {"nodes": {"model.p.exp_orphan": {"resource_type": "model", "name": "exp_orphan",
                                                 "fqn": ["p", "exports", "exp_orphan"], "meta": {}}}}
    with pytest.raises(ValueError, match="exp_orphan must declare exactly one consumer"):
        consumers_from_manifest(manifest)


def test_a_consumer_missing_a_field_is_refused_not_defaulted():
    declared = {"name": "app", "destination": "file_drop", "key": ["store_id"], "sla": "daily", "send_on": "daily"}
    manifest = {"nodes": {"model.p.exp_app": {"resource_type": "model", "name": "exp_app",
                                              "fqn": ["p", "exports", "exp_app"],
                                              "meta": {"owner": "team:app", "consumer": declared}}}}
    with pytest.raises(ValueError, match="exp_app: meta.consumer does not declare deadline_cron"):
        consumers_from_manifest(manifest)
