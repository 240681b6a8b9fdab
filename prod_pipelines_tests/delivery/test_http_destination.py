"""The CRM destination converges on the export through faults, sends only differences, and rolls back."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pyarrow as pa
import pytest

from prod_pipelines.delivery.destinations.http_api import DeliveryError, HttpApi
from prod_pipelines_tests.support.http_crm_server import Crash, CrmServer, Fail, Timeout

CONSUMER, KEY = "salesforce", ["store_id", "sku_id"]
DAY1, DAY2 = date(2025, 3, 10), date(2025, 3, 11)
SCHEMA = pa.schema([("as_of_date", pa.date32()), ("store_id", pa.string()), ("sku_id", pa.string()),
                    ("sku_name", pa.string()), ("recommendation_rank", pa.int32()),
                    ("market_units_l90", pa.int64()), ("market_revenue_l90", pa.decimal128(38, 4))])


def export(day: date, n: int = 10, bump: frozenset[int] = frozenset(),
           drop: frozenset[int] = frozenset()) -> list[tuple]:
    """Rows i of store S00(i//4); `bump` changes units of some rows, `drop` leaves some out."""
    return [(day, f"S{i // 4:03d}", f"K{i:04d}", f"Item {i}", i % 4 + 1, 10 * i + (1 if i in bump else 0),
             Decimal(f"{i}.5000")) for i in range(n) if i not in drop]


def table(rows: list[tuple]) -> pa.Table:
    return pa.Table.from_pylist([dict(zip(SCHEMA.names, r, strict=True)) for r in rows], schema=SCHEMA)


def expected(rows: list[tuple]) -> dict[str, dict]:
    """The records the CRM should hold, written out by hand from the wire format."""
    return {f"{s}:{k}": {"external_id": f"{s}:{k}", "as_of_date": d.isoformat(), "store_id": s, "sku_id": k,
                         "sku_name": name, "recommendation_rank": rank, "market_units_l90": units,
                         "market_revenue_l90": str(revenue)}
            for d, s, k, name, rank, units, revenue in rows}


def api(server: CrmServer, **overrides) -> HttpApi:
    return HttpApi(server.url, **{"batch_size": 3, "max_attempts": 6, "timeout_s": 0.3, "backoff_base_s": 0.01,
                                  **overrides})


def test_a_sync_through_timeouts_500s_a_429_and_a_crash_leaves_the_server_equal_to_the_export():
    faults = {0: Timeout(0.8), 2: Fail(500), 3: Crash(), 5: Fail(429, retry_after="1"), 7: Timeout(0.8)}
    rows = export(DAY1, n=10)
    with CrmServer(faults) as server:
        receipt = api(server).sync(CONSUMER, DAY1, table(rows), KEY, previous=None)
        assert server.records[CONSUMER] == expected(rows)
        batches = {q.idempotency_key: [r["external_id"] for r in q.body["records"]]
                   for q in server.requests if q.method == "POST"}
        assert len(server.applied) == len(set(server.applied)) == len(batches) == 4
        assert sorted(e for ids in batches.values() for e in ids) == sorted(expected(rows))
    assert (receipt.rows, receipt.added, receipt.changed, receipt.removed) == (10, 10, 0, 0)


def test_a_batch_retried_after_a_crash_carries_the_same_key_and_is_applied_once():
    with CrmServer({1: Crash()}) as server:
        api(server).sync(CONSUMER, DAY1, table(export(DAY1, n=3)), KEY, previous=None)
        crashed, retried = server.requests[1], server.requests[2]
        assert crashed.idempotency_key == retried.idempotency_key
        assert retried.replayed and server.applied == [crashed.idempotency_key]


def test_a_429_is_retried_only_after_its_retry_after_seconds():
    with CrmServer({1: Fail(429, retry_after="1")}) as server:
        api(server).sync(CONSUMER, DAY1, table(export(DAY1, n=3)), KEY, previous=None)
        assert server.requests[2].at - server.requests[1].at >= 1.0


def test_a_second_sync_sends_only_added_changed_and_removed_rows():
    first = export(DAY1, n=10)
    second = export(DAY1, n=11, bump=frozenset({2, 7}), drop=frozenset({4}))
    with CrmServer() as server:
        api(server).sync(CONSUMER, DAY1, table(first), KEY, previous=None)
        already = len(server.requests)
        receipt = api(server).sync(CONSUMER, DAY1, table(second), KEY, previous=table(first))
        sent = server.requests[already:]
        upserted = [r["external_id"] for q in sent if q.path.endswith("/upsert") for r in q.body["records"]]
        deleted = [e for q in sent if q.path.endswith("/delete") for e in q.body["external_ids"]]
        assert sorted(upserted) == ["S000:K0002", "S001:K0007", "S002:K0010"]
        assert deleted == ["S001:K0004"]
        assert len(sent) == 2 and not any(q.method == "GET" for q in sent)
        assert server.records[CONSUMER] == expected(second)
    assert (receipt.added, receipt.changed, receipt.removed) == (1, 2, 1)


def test_a_first_sync_diffs_against_what_the_server_already_holds():
    rows = export(DAY1, n=6)
    stale = {**expected(rows)["S000:K0001"], "market_units_l90": 999}
    with CrmServer() as server:
        server.seed(CONSUMER, [expected(rows)["S000:K0000"], stale, {"external_id": "S999:K9999", "sku_id": "K9999"}])
        receipt = api(server).sync(CONSUMER, DAY1, table(rows), KEY, previous=None)
        assert server.records[CONSUMER] == expected(rows)
        upserted = [r["external_id"] for q in server.requests if q.path.endswith("/upsert") for r in q.body["records"]]
        assert "S000:K0000" not in upserted and "S000:K0001" in upserted
    assert (receipt.added, receipt.changed, receipt.removed) == (4, 1, 1)


def test_a_400_fails_at_once_naming_the_consumer_the_batch_and_the_answer():
    with CrmServer({1: Fail(400, body="market_revenue_l90 must be a number")}) as server:
        with pytest.raises(DeliveryError) as failed:
            api(server).sync(CONSUMER, DAY1, table(export(DAY1, n=7)), KEY, previous=None)
        assert len(server.requests) == 2
    message = str(failed.value)
    assert all(part in message for part in
               ("salesforce", "upsert batch 1/3", "HTTP 400", "market_revenue_l90 must be a number"))


def test_a_server_that_keeps_failing_gives_up_after_max_attempts():
    with CrmServer({n: Fail(503) for n in range(1, 10)}) as server:
        with pytest.raises(DeliveryError, match=r"salesforce: upsert batch 1/1 .* failed after 3 attempts"):
            api(server, max_attempts=3).sync(CONSUMER, DAY1, table(export(DAY1, n=2)), KEY, previous=None)
        assert len(server.requests) == 4


def test_rolling_back_and_forward_again_restores_each_state_exactly():
    older, newer = export(DAY1, n=8), export(DAY2, n=9, bump=frozenset({1}), drop=frozenset({0}))
    with CrmServer() as server:
        api(server).sync(CONSUMER, DAY1, table(older), KEY, previous=None)
        api(server).sync(CONSUMER, DAY2, table(newer), KEY, previous=table(older))
        receipt = api(server).sync(CONSUMER, DAY1, table(older), KEY, previous=table(newer))
        assert server.records[CONSUMER] == expected(older)
        api(server).sync(CONSUMER, DAY2, table(newer), KEY, previous=table(older))
        assert server.records[CONSUMER] == expected(newer)
    assert (receipt.added, receipt.changed, receipt.removed) == (1, 7, 1)


def test_a_sync_without_key_columns_is_refused():
    with pytest.raises(ValueError, match="key columns"):
        HttpApi("http://127.0.0.1:9").sync(CONSUMER, DAY1, table(export(DAY1)), [], previous=None)


def test_a_refused_record_is_reported_with_its_reason_and_the_rest_of_its_batch_is_applied():
    rows = export(DAY1, n=7)
    with CrmServer(refuse={"S000:K0002": "store_email is not a valid address", "S001:K0005": "unknown sku"}) as server:
        receipt = api(server).sync(CONSUMER, DAY1, table(rows), KEY, previous=None)
        held = server.records[CONSUMER]
    assert receipt.rejected == {"S000:K0002": "store_email is not a valid address", "S001:K0005": "unknown sku"}
    assert held == {e: r for e, r in expected(rows).items() if e not in receipt.rejected}


def test_records_refused_before_are_sent_again_until_accepted_even_when_unchanged():
    rows = export(DAY1, n=6)
    with CrmServer(refuse={"S000:K0001": "locked by another user"}) as server:
        first = api(server).sync(CONSUMER, DAY1, table(rows), KEY, previous=None)
        server.refuse.clear()
        already = len(server.requests)
        second = api(server).sync(CONSUMER, DAY1, table(rows), KEY, previous=table(rows),
                                  retry=frozenset(first.rejected))
        upserted = [r["external_id"] for q in server.requests[already:] if q.path.endswith("/upsert")
                    for r in q.body["records"]]
        assert server.records[CONSUMER] == expected(rows)
    assert upserted == ["S000:K0001"] and second.rejected == {}


def test_a_refused_delete_is_sent_again_once_the_record_left_the_export():
    rows = export(DAY1, n=4)
    with CrmServer() as server:
        api(server).sync(CONSUMER, DAY1, table(rows), KEY, previous=None)
        server.refuse["S000:K0003"] = "record is referenced by an open task"
        first = api(server).sync(CONSUMER, DAY2, table(rows[:3]), KEY, previous=table(rows))
        assert "S000:K0003" in server.records[CONSUMER] and first.rejected == {
            "S000:K0003": "record is referenced by an open task"}
        server.refuse.clear()
        second = api(server).sync(CONSUMER, DAY2, table(rows[:3]), KEY, previous=table(rows[:3]),
                                  retry=frozenset(first.rejected))
        assert server.records[CONSUMER] == expected(rows[:3])
    assert second.removed == 1
