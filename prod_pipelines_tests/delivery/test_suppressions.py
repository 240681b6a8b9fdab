"""Spec §6 end to end: a consumer's suppression removes an item from every consumer's next delivery,
the store gets its next item instead, and the item returns when the suppression expires."""

from __future__ import annotations

import csv
import shutil
from datetime import date, timedelta

import duckdb
import pyarrow.parquet as pq
import pytest

from prod_pipelines.delivery.consumers import consumers
from prod_pipelines.landing.contracts import CONSUMER_NAMES, CONTRACTS
from prod_pipelines.landing.loader import ensure_tables
from prod_pipelines.landing.suppressions import expiring, in_force, review
from prod_pipelines.producers.synthetic import generate_landing
from prod_pipelines_tests.support.cli import run_cli
from prod_pipelines_tests.support.warehouse_state import query

FIRST, SUNDAY, MONDAY, TUESDAY, WEDNESDAY = (date(2025, 3, 3), date(2025, 3, 9), date(2025, 3, 10),
                                             date(2025, 3, 11), date(2025, 3, 12))


def delivered_pairs(data_dir, consumer: str, day: date) -> list[tuple[str, str]]:
    rows = pq.read_table(data_dir / "destinations" / consumer / f"dt={day}" / "part-0.parquet").to_pylist()
    return [(r["store_id"], r["sku_id"]) for r in rows]


def backfill(data_dir, start: date, end: date) -> None:
    """One run; at this tiny scale a new day replaces most of what each consumer was sent, which the
    blast-radius guard would refuse, so the change is approved (the guard has tests of its own)."""
    run_cli("backfill", "--start", start.isoformat(), "--end", end.isoformat(), "--approve-large-change", "all",
            data_dir=data_dir, start_date=FIRST)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A week run; then a copy of it (the control) and the original, where salesforce publishes on
    Monday a suppression for Monday and Tuesday of an item a store was delivered; both run Monday to
    Tuesday. Returns (treated, control, (store, item))."""
    treated = tmp_path_factory.mktemp("suppressions")
    generate_landing(treated, FIRST, WEDNESDAY, scale=0.02)
    backfill(treated, FIRST, SUNDAY)
    control = tmp_path_factory.mktemp("control") / "data"
    shutil.copytree(treated, control, symlinks=True)
    backfill(control, MONDAY, TUESDAY)
    both = set(delivered_pairs(control, "retailer_app", TUESDAY)) & set(delivered_pairs(control, "crm_email", MONDAY))
    assert both, "some store is offered the same item on Monday and Tuesday"
    offered = delivered_pairs(control, "retailer_app", TUESDAY)
    store, item = min(both, key=lambda pair: (-sum(p[0] == pair[0] for p in offered), pair))  # a store with most items
    folder = treated / "landing" / "suppressions" / f"dt={MONDAY}"
    folder.mkdir(parents=True)
    with (folder / "feedback.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CONTRACTS["suppressions"].names)
        writer.writerow([store, item, "store cannot sell it", "salesforce", TUESDAY.isoformat()])
    backfill(treated, MONDAY, TUESDAY)
    return treated, control, (store, item)


def test_a_suppression_removes_the_item_from_every_consumers_next_delivery(runs):
    treated, control, pair = runs
    sent = {consumer: day for consumer, day in query(
        treated, "select consumer, max(partition_date) from delivery.syncs where status = 'succeeded' group by all")}
    assert sent == {"retailer_app": TUESDAY, "salesforce": TUESDAY, "crm_email": MONDAY}
    for consumer, day in sent.items():
        pairs, without = delivered_pairs(treated, consumer, day), delivered_pairs(control, consumer, day)
        assert pair in without and pair not in pairs, consumer
        store_before = [p for p in without if p[0] == pair[0]]
        assert set(store_before) - {pair} <= {p for p in pairs if p[0] == pair[0]}, consumer  # its other items stay
        assert [p for p in pairs if p[0] != pair[0]] == [p for p in without if p[0] != pair[0]], consumer


def test_market_ranks_stay_and_store_ranks_close_up(runs):
    treated, control, (store, item) = runs
    sql = ("select sku_id, store_rank, market_rank from marts.top_items_not_carried "
           "where store_id = ? and as_of_date = ? order by store_rank")
    after, before = query(treated, sql, [store, TUESDAY]), query(control, sql, [store, TUESDAY])
    assert [r[1] for r in after] == list(range(1, len(after) + 1))
    market_rank = {sku: rank for sku, _, rank in before}
    assert all(market_rank.get(sku, rank) == rank for sku, _, rank in after)
    assert [sku for sku, _, _ in after if sku in market_rank] == [sku for sku, _, _ in before if sku != item]


def test_the_suppression_is_reported_for_review_and_ends_by_itself(runs):
    treated, control, pair = runs
    report = run_cli("suppressions", "--as-of", MONDAY.isoformat(), data_dir=treated, start_date=FIRST).stdout
    assert f"store {pair[0]}  item {pair[1]}  by salesforce" in report
    backfill(treated, WEDNESDAY, WEDNESDAY)
    backfill(control, WEDNESDAY, WEDNESDAY)
    for consumer in ("retailer_app", "salesforce"):
        assert delivered_pairs(treated, consumer, WEDNESDAY) == delivered_pairs(control, consumer, WEDNESDAY)


def test_in_force_and_expiring_edges():
    conn = duckdb.connect()
    ensure_tables(conn, CONTRACTS["suppressions"])
    day = date(2025, 4, 10)
    rows = [("today", day, day + timedelta(days=30)), ("last day today", day - timedelta(days=5), day),
            ("ended yesterday", day - timedelta(days=5), day - timedelta(days=1)),
            ("published tomorrow", day + timedelta(days=1), day + timedelta(days=9)),
            ("ends in 14 days", day - timedelta(days=1), day + timedelta(days=14)),
            ("ends in 15 days", day - timedelta(days=1), day + timedelta(days=15))]
    for n, (reason, published, last) in enumerate(rows):
        conn.execute("insert into raw.suppressions values (?, 'S1', ?, ?, 'retailer_app', ?, 'f.csv', ?)",
                     [published, f"K{n}", reason, last, n + 1])
    active = in_force(conn, day)
    assert {s.reason for s in active} == {"today", "last day today", "ends in 14 days", "ends in 15 days"}
    assert {s.reason for s in expiring(active, day)} == {"last day today", "ends in 14 days"}
    assert review(conn, day)["in_force"] == {"retailer_app": 4, "salesforce": 0, "crm_email": 0}


def test_the_feedback_contract_accepts_exactly_the_consumers_the_exports_serve():
    assert sorted(CONSUMER_NAMES) == sorted(c.name for c in consumers())
