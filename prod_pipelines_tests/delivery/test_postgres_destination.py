"""The PostgreSQL destination replaces a consumer's table in one transaction, against a real server.

Needs PostgreSQL at 127.0.0.1:5432 (database `test`, trust auth). Without it the tests skip, except
on CI (CI=true), where a missing database is a failure rather than a silently green suite.
"""

from __future__ import annotations

import re
import threading
import time
import zlib
from datetime import date
from decimal import Decimal

import psycopg
import pyarrow as pa
import pytest
from psycopg import sql

from prod_pipelines.delivery.destinations.postgres import PostgresTable

KEY = ["store_id", "sku_id"]
DAY1, DAY2 = date(2025, 3, 10), date(2025, 3, 11)
SCHEMA = pa.schema([("as_of_date", pa.date32()), ("store_id", pa.string()), ("sku_id", pa.string()),
                    ("sku_name", pa.string()), ("recommendation_rank", pa.int32()),
                    ("market_units_l90", pa.int64()), ("market_revenue_l90", pa.decimal128(38, 4))])


@pytest.fixture(scope="module")
def schema(postgres_schema: str) -> str:
    return postgres_schema


@pytest.fixture
def dsn(postgres_dsn: str) -> str:
    return postgres_dsn


@pytest.fixture
def consumer(request) -> str:
    """A table name per test (and parameter), within PostgreSQL's 63-character identifiers."""
    name = re.sub(r"\W+", "_", request.node.name.removeprefix("test_")).strip("_")
    return f"{name[:50]}_{zlib.crc32(name.encode()):08x}"


def export(day: date, n: int = 10, bump: frozenset[int] = frozenset(), drop: frozenset[int] = frozenset()) -> pa.Table:
    rows = [(day, f"S{i // 4:03d}", f"K{i:04d}", f"Item {i} – ünïcode", i % 4 + 1,
             10 * i + (1 if i in bump else 0) + 2**40, Decimal(f"{i}.0500")) for i in range(n) if i not in drop]
    return pa.Table.from_pylist([dict(zip(SCHEMA.names, r, strict=True)) for r in rows], schema=SCHEMA)


def read(dsn: str, schema: str, consumer: str) -> pa.Table:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(sql.SQL("select {} from {} order by store_id, sku_id").format(
            sql.SQL(", ").join(map(sql.Identifier, SCHEMA.names)), sql.Identifier(schema, consumer))).fetchall()
    return pa.Table.from_pylist([dict(zip(SCHEMA.names, r, strict=True)) for r in rows], schema=SCHEMA)


def sorted_by_key(rows: pa.Table) -> pa.Table:
    return rows.sort_by([(k, "ascending") for k in KEY])


def test_the_table_is_created_when_absent_with_columns_typed_from_arrow(dsn, schema, consumer):
    PostgresTable(dsn, schema).sync(consumer, DAY1, export(DAY1), KEY, previous=None)
    with psycopg.connect(dsn) as conn:
        types = conn.execute("select column_name, data_type, numeric_precision, numeric_scale "
                             "from information_schema.columns where table_schema = %s and table_name = %s "
                             "order by ordinal_position", [schema, consumer]).fetchall()
        primary_key = conn.execute("select array_agg(a.attname::text order by a.attnum) from pg_index i "
                                   "join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey) "
                                   "where i.indrelid = to_regclass(%s) and i.indisprimary",
                                   [f"{schema}.{consumer}"]).fetchone()[0]
    assert [(c, t) for c, t, _, _ in types] == [
        ("as_of_date", "date"), ("store_id", "text"), ("sku_id", "text"), ("sku_name", "text"),
        ("recommendation_rank", "integer"), ("market_units_l90", "bigint"), ("market_revenue_l90", "numeric")]
    assert types[-1][2:] == (38, 4)
    assert primary_key == KEY


def test_a_sync_replaces_the_content_exactly_with_types_preserved(dsn, schema, consumer):
    destination = PostgresTable(dsn, schema)
    destination.sync(consumer, DAY1, export(DAY1, n=12), KEY, previous=None)
    newer = export(DAY2, n=9, bump=frozenset({3}))
    receipt = destination.sync(consumer, DAY2, newer, KEY, previous=export(DAY1, n=12))
    assert read(dsn, schema, consumer).equals(sorted_by_key(newer))
    assert receipt.rows == 9 and receipt.location.endswith(f"/test/{schema}.{consumer}")
    with psycopg.connect(dsn) as conn:
        state = conn.execute(sql.SQL("select \"partition\", \"rows\" from {} where consumer = %s")
                             .format(sql.Identifier(schema, "_sync_state")), [consumer]).fetchall()
    assert state == [(DAY2, 9)]


def test_a_reader_during_a_sync_sees_the_old_set_until_commit_then_the_new_one(dsn, schema, consumer):
    """A lock on `_sync_state` holds the sync at its last write, after the table's rows were replaced."""
    destination, old, new = PostgresTable(dsn, schema), export(DAY1, n=10), export(DAY2, n=6, bump=frozenset({1}))
    destination.sync(consumer, DAY1, old, KEY, previous=None)
    state = sql.Identifier(schema, "_sync_state")
    with psycopg.connect(dsn) as blocker, psycopg.connect(dsn, autocommit=True) as watcher:
        blocker.execute(sql.SQL("lock table {} in share mode").format(state))
        syncing = threading.Thread(target=destination.sync, args=(consumer, DAY2, new, KEY, old))
        syncing.start()
        held = []
        for _ in range(200):
            held = watcher.execute("select a.query from pg_locks l join pg_stat_activity a using (pid) "
                                   "where not l.granted and l.relation = to_regclass(%s)",
                                   [state.as_string(watcher)]).fetchall()
            if held:
                break
            time.sleep(0.05)
        assert held and held[0][0].startswith("insert into"), f"the sync never reached its last write: {held}"
        assert read(dsn, schema, consumer).equals(sorted_by_key(old))
        blocker.rollback()
    syncing.join(timeout=10)
    assert read(dsn, schema, consumer).equals(sorted_by_key(new))


@pytest.mark.parametrize("bad", ["nul byte in a string", "duplicate key"])
def test_a_failed_sync_leaves_the_previous_content_intact(dsn, schema, consumer, bad):
    destination, good = PostgresTable(dsn, schema), export(DAY1, n=8)
    destination.sync(consumer, DAY1, good, KEY, previous=None)
    rows = export(DAY2, n=8).to_pylist()
    if bad == "duplicate key":
        rows.append(rows[0])
    else:
        rows[5]["sku_name"] = "bad\x00name"
    with pytest.raises(psycopg.Error):
        destination.sync(consumer, DAY2, pa.Table.from_pylist(rows, schema=SCHEMA), KEY, previous=good)
    assert read(dsn, schema, consumer).equals(sorted_by_key(good))


def test_the_receipt_counts_rows_added_changed_and_removed_by_key(dsn, schema, consumer):
    destination = PostgresTable(dsn, schema)
    first = destination.sync(consumer, DAY1, export(DAY1, n=10), KEY, previous=None)
    second = destination.sync(consumer, DAY1, export(DAY1, n=12, bump=frozenset({2, 5, 6}), drop=frozenset({0, 9})),
                              KEY, previous=export(DAY1, n=10))
    assert (first.added, first.changed, first.removed) == (10, 0, 0)
    assert (second.rows, second.added, second.changed, second.removed) == (10, 2, 3, 2)


def test_syncing_the_older_table_back_restores_the_previous_state_exactly(dsn, schema, consumer):
    destination = PostgresTable(dsn, schema)
    older, newer = export(DAY1, n=10), export(DAY2, n=11, bump=frozenset({4}), drop=frozenset({1}))
    destination.sync(consumer, DAY1, older, KEY, previous=None)
    destination.sync(consumer, DAY2, newer, KEY, previous=older)
    receipt = destination.sync(consumer, DAY1, older, KEY, previous=newer)
    assert read(dsn, schema, consumer).equals(sorted_by_key(older))
    assert (receipt.added, receipt.changed, receipt.removed) == (1, 9, 1)


def test_a_table_whose_columns_differ_from_the_export_is_refused_untouched(dsn, schema, consumer):
    destination, rows = PostgresTable(dsn, schema), export(DAY1, n=4)
    destination.sync(consumer, DAY1, rows, KEY, previous=None)
    widened = rows.append_column("extra", pa.array([1.5] * 4))
    with pytest.raises(ValueError, match="migrate the table deliberately"):
        destination.sync(consumer, DAY2, widened, KEY, previous=rows)
    assert read(dsn, schema, consumer).equals(sorted_by_key(rows))
