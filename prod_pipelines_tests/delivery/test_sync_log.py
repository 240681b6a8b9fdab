"""Row-level outcomes: a sync completes with rejects below the consumer's threshold, fails above it,
logs every record's operation and result in the warehouse, and retries refused records until accepted.

Driven through `deliver` (the delivery assets' own path) with the real ledger in DuckDB and the CRM
test server refusing chosen records.
"""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import UTC, date, datetime, timedelta

import duckdb
import pyarrow as pa
import pytest

from prod_pipelines.delivery import sync_log
from prod_pipelines.delivery.consumers import Consumer
from prod_pipelines.delivery.destinations.http_api import HttpApi
from prod_pipelines.delivery.ledger import Ledger
from prod_pipelines.delivery.sync import RecordsRejected, deliver
from prod_pipelines_tests.support.http_crm_server import CrmServer

D1, D2 = date(2025, 3, 10), date(2025, 3, 11)
CRM = Consumer(name="crm", export_model="exp_crm", owner="team:crm", destination="http_api", sla="",
               send_on="daily", key=("store_id", "sku_id"), deadline_cron="0 9 * * *", max_rejected_share=0.05)
SKUS = [f"K{i:02d}" for i in range(40)]  # 40 exported: 2 refused is 5%, at the limit; 3 is above it


def recommendations(day: date, skus: list[str], store: str = "S1") -> pa.Table:
    return pa.table({"as_of_date": pa.array([day] * len(skus), pa.date32()), "store_id": [store] * len(skus),
                     "sku_id": skus, "rank": pa.array(range(1, len(skus) + 1), pa.int32())})


@pytest.fixture
def ledger(tmp_path):
    conn = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    yield Ledger(conn, tmp_path / "sent", retention_days=30)
    conn.close()


@pytest.fixture
def crm():
    with CrmServer() as server:
        yield server, HttpApi(base_url=server.url, backoff_base_s=0.01)


def send(ledger, destination, day, rows, consumer=CRM):
    digest = hashlib.md5(str(rows.to_pylist()).encode()).hexdigest()
    return deliver(ledger, consumer, destination, day, rows, digest, "run-test", max_share=1.0, is_approved=True)


def syncs(ledger) -> list[tuple]:
    return ledger.conn.execute("select status, rejected, message from delivery.syncs order by started_at").fetchall()


def snapshot(ledger) -> dict[str, tuple]:
    rows = ledger.conn.execute("select record_key, operation, result, error from delivery.sync_snapshot "
                               "where consumer = 'crm'").fetchall()
    return {r[0]: tuple(r[1:]) for r in rows}


def test_a_sync_below_the_threshold_succeeds_with_its_rejects_logged_by_key(ledger, crm):
    server, api = crm
    server.refuse.update({"S1:K03": "store_email is not a valid address", "S1:K07": "unknown sku"})
    outcome = send(ledger, api, D1, recommendations(D1, SKUS))
    assert outcome.status == "sent" and set(outcome.receipt.rejected) == {"S1:K03", "S1:K07"}
    (status, rejected, message), = syncs(ledger)
    assert (status, rejected) == ("succeeded", 2)
    assert "2 records refused, 5.0% of the 40 exported" in message
    assert "S1:K03: store_email is not a valid address" in message
    log = ledger.conn.execute("select record_key, operation, result, error from delivery.sync_changelog "
                              "where sync_id = ? order by record_key", [outcome.sync_id]).fetchall()
    assert len(log) == 40 and {r[1] for r in log} == {"create"}
    assert [r for r in log if r[2] == "rejected"] == [("S1:K03", "create", "rejected", "store_email is not a valid "
                                                       "address"), ("S1:K07", "create", "rejected", "unknown sku")]
    assert sync_log.pending_retries(ledger.conn, "crm") == {"S1:K03", "S1:K07"}


def test_a_sync_above_the_threshold_fails_naming_the_consumer_and_still_logs_each_record(ledger, crm):
    server, api = crm
    server.refuse.update({f"S1:K{i:02d}": "validation failed" for i in range(3)})
    refused = r"crm: 3 records refused, 7\.5% of the 40 exported \(the limit is 5\.0%\)"
    with pytest.raises(RecordsRejected, match=refused):
        send(ledger, api, D1, recommendations(D1, SKUS))
    (status, rejected, message), = syncs(ledger)
    assert (status, rejected) == ("failed", 3) and "delivery.sync_changelog" in message
    assert ledger.current("crm") is None  # the consumer holds no good sync: the next one starts over
    assert sync_log.pending_retries(ledger.conn, "crm") == {"S1:K00", "S1:K01", "S1:K02"}


def test_a_consumer_without_a_threshold_fails_on_its_first_refused_record(ledger, crm):
    server, api = crm
    server.refuse["S1:K10"] = "validation failed"
    with pytest.raises(RecordsRejected, match=r"1 record refused, 2\.5% of the 40"):
        send(ledger, api, D1, recommendations(D1, SKUS), consumer=dataclasses.replace(CRM, max_rejected_share=0.0))


def test_refused_records_are_retried_by_the_next_sync_of_the_same_content_until_accepted(ledger, crm):
    server, api = crm
    rows = recommendations(D1, SKUS)
    server.refuse["S1:K05"] = "locked by another user"
    send(ledger, api, D1, rows)
    still = send(ledger, api, D1, rows)  # same content, still refused: sent again, not skipped
    assert still.status == "sent" and still.receipt.rejected == {"S1:K05": "locked by another user"}
    server.refuse.clear()
    accepted = send(ledger, api, D1, rows)
    assert accepted.status == "sent" and accepted.receipt.rejected == {}
    assert set(server.records["crm"]) == {f"S1:{s}" for s in SKUS}
    assert sync_log.pending_retries(ledger.conn, "crm") == frozenset()
    assert snapshot(ledger)["S1:K05"] == ("update", "accepted", None)
    assert send(ledger, api, D1, rows).status.startswith("skipped: unchanged")  # nothing left to retry
    history = sync_log.key_history(ledger.conn, "crm", "S1:K05")
    assert [(h["operation"], h["result"]) for h in history] == [
        ("create", "rejected"), ("update", "rejected"), ("update", "accepted")]


def test_the_next_day_logs_creates_updates_and_deletes_against_what_was_last_sent(ledger, crm):
    _, api = crm
    send(ledger, api, D1, recommendations(D1, SKUS))
    outcome = send(ledger, api, D2, recommendations(D2, SKUS[:39] + ["K90"]))
    log = dict(ledger.conn.execute("select record_key, operation from delivery.sync_changelog where sync_id = ?",
                                   [outcome.sync_id]).fetchall())
    assert log["S1:K90"] == "create" and log["S1:K39"] == "delete" and log["S1:K00"] == "update"
    assert len(log) == 41


def test_a_key_prefix_finds_every_record_of_a_store(ledger, crm):
    _, api = crm
    rows = pa.concat_tables([recommendations(D1, SKUS[:3], "S1"), recommendations(D1, SKUS[:2], "S12")])
    send(ledger, api, D1, rows)
    assert [h["record_key"] for h in sync_log.key_history(ledger.conn, "crm", "S1")] == ["S1:K00", "S1:K01", "S1:K02"]
    assert [h["record_key"] for h in sync_log.key_history(ledger.conn, "crm", "S12:K01")] == ["S12:K01"]


def test_log_rows_older_than_the_retention_are_pruned_and_the_snapshot_keeps_the_latest_state(ledger, crm):
    _, api = crm
    first = send(ledger, api, D1, recommendations(D1, SKUS[:2]))
    long_ago = datetime.now(UTC) - timedelta(days=31)
    ledger.conn.execute("update delivery.sync_changelog set synced_at = ? where sync_id = ?", [long_ago, first.sync_id])
    send(ledger, api, D2, recommendations(D2, SKUS[:3]))
    kept = ledger.conn.execute("select distinct sync_id from delivery.sync_changelog").fetchall()
    assert first.sync_id not in {k[0] for k in kept} and len(kept) == 1
    assert set(snapshot(ledger)) == {"S1:K00", "S1:K01", "S1:K02"}
