"""Syncs are recorded, guarded and undoable the same way for every destination kind."""

from __future__ import annotations

import hashlib
from datetime import date

import duckdb
import psycopg
import pyarrow as pa
import pytest
from psycopg import sql

from prod_pipelines.delivery.consumers import Consumer
from prod_pipelines.delivery.destinations.file_drop import FileDrop
from prod_pipelines.delivery.destinations.http_api import DeliveryError, HttpApi
from prod_pipelines.delivery.destinations.postgres import PostgresTable
from prod_pipelines.delivery.guard import BlastRadiusExceeded
from prod_pipelines.delivery.ledger import Ledger
from prod_pipelines.delivery.sync import deliver, rollback
from prod_pipelines_tests.support.http_crm_server import CrmServer

D1, D2 = date(2025, 3, 10), date(2025, 3, 11)
CONSUMER = Consumer(name="app", export_model="exp_app", owner="team:app", destination="file_drop", sla="",
                    send_on="daily", key=("store_id", "sku_id"), deadline_cron="0 9 * * *")


def recommendations(day: date, skus: list[str]) -> pa.Table:
    return pa.table({
        "as_of_date": pa.array([day] * len(skus), pa.date32()),
        "store_id": ["S1"] * len(skus),
        "sku_id": skus,
        "rank": pa.array(range(1, len(skus) + 1), pa.int32()),
    })


TEN = [f"K{i:02d}" for i in range(10)]
A = recommendations(D1, TEN)
B = recommendations(D2, TEN[:8] + ["K90", "K91"])  # 20% of the keys replaced: within the default limit


@pytest.fixture
def ledger(tmp_path):
    conn = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    yield Ledger(conn, tmp_path / "sent")
    conn.close()


@pytest.fixture(params=["file_drop", "postgres", "http_api"])
def destination(request, tmp_path):
    """(destination, a function returning what the consumer holds) for each kind."""
    if request.param == "file_drop":
        root = tmp_path / "drop"
        yield FileDrop(str(root)), lambda: {str(p.relative_to(root)): p.read_bytes()
                                            for p in sorted(root.rglob("*")) if p.is_file()}
    elif request.param == "postgres":
        dsn, schema = request.getfixturevalue("postgres_dsn"), request.getfixturevalue("postgres_schema")

        def table_rows():
            with psycopg.connect(dsn) as conn:
                return conn.execute(sql.SQL("select * from {} order by store_id, sku_id").format(
                    sql.Identifier(schema, CONSUMER.name))).fetchall()
        yield PostgresTable(dsn=dsn, schema=schema), table_rows
    else:
        with CrmServer() as server:
            yield HttpApi(base_url=server.url, backoff_base_s=0.01), lambda: dict(server.records.get(CONSUMER.name, {}))


def send(ledger, destination, day, rows, approved=False):
    digest = hashlib.md5(str(rows.to_pylist()).encode()).hexdigest()
    return deliver(ledger, CONSUMER, destination, day, rows, digest, "run-test", max_share=0.3, is_approved=approved)


def test_rollback_restores_the_previous_state_exactly(ledger, destination):
    target, state = destination
    send(ledger, target, D1, A)
    after_a = state()
    send(ledger, target, D2, B)
    assert state() != after_a
    outcome = rollback(ledger, CONSUMER, target, None, run_id="run-rollback")
    assert state() == after_a
    statuses = [(s["action"], s["status"], s["partition_date"]) for s in ledger.history(CONSUMER.name)]
    assert statuses == [("sync", "succeeded", D1), ("sync", "rolled_back", D2), ("rollback", "succeeded", D1)]
    assert outcome.receipt.rows == A.num_rows


def test_content_that_was_rolled_back_is_not_sent_again_until_it_changes(ledger, destination):
    target, state = destination
    send(ledger, target, D1, A)
    send(ledger, target, D2, B)
    rollback(ledger, CONSUMER, target, None, run_id="run-rollback")
    held = state()
    assert send(ledger, target, D2, B).status.startswith("skipped: this content was rolled back")
    assert state() == held
    fixed = recommendations(D2, TEN[:9] + ["K90"])
    assert send(ledger, target, D2, fixed).status == "sent"


def test_the_guard_refuses_replacing_60_percent_of_the_rows_and_records_the_refusal(ledger, tmp_path):
    target = FileDrop(str(tmp_path / "drop"))
    send(ledger, target, D1, A)
    replaced = recommendations(D2, TEN[:4] + [f"N{i}" for i in range(6)])
    with pytest.raises(BlastRadiusExceeded, match=r"replace 60% of the 10 rows") as refused:
        send(ledger, target, D2, replaced)
    # The refusal shows the plan it refused, as `deliver --dry-run` would: counts and a sample of each.
    plan = str(refused.value).splitlines()[1:]
    assert plan[0] == f"The refused plan for {D2}: 6 created, 4 updated, 6 deleted; for example:"
    assert [line.split()[0] for line in plan[1:]] == ["create"] * 3 + ["update"] * 3 + ["delete"] * 3
    assert "'sku_id': 'N0'" in plan[1] and "'sku_id': 'K04'" in plan[7]
    assert ledger.history(CONSUMER.name)[-1]["status"] == "refused"
    assert ledger.history(CONSUMER.name)[-1]["message"] == str(refused.value)
    assert not (tmp_path / "drop" / "app" / f"dt={D2.isoformat()}").exists()
    assert send(ledger, target, D2, replaced, approved=True).status == "sent"
    assert ledger.current(CONSUMER.name).partition_date == D2


def test_an_older_partition_or_unchanged_content_is_never_sent_again(ledger, tmp_path):
    target = FileDrop(str(tmp_path / "drop"))
    send(ledger, target, D2, B)
    assert send(ledger, target, D1, A).status.startswith("skipped: older than the partition")
    assert send(ledger, target, D2, B).status == "skipped: unchanged since the last sync"
    assert [s["status"] for s in ledger.history(CONSUMER.name)] == ["succeeded"]


def test_a_failed_sync_is_recorded_and_the_consumer_keeps_what_it_had(ledger, tmp_path):
    target = FileDrop(str(tmp_path / "drop"))
    send(ledger, target, D1, A)
    with CrmServer() as server:
        pass  # the server is gone: every request to it fails
    broken = HttpApi(base_url=server.url, max_attempts=2, backoff_base_s=0.01, timeout_s=0.5)
    with pytest.raises(DeliveryError, match="failed after 2 attempts"):
        send(ledger, broken, D2, B)
    assert ledger.history(CONSUMER.name)[-1]["status"] == "failed"
    assert ledger.current(CONSUMER.name).partition_date == D1
