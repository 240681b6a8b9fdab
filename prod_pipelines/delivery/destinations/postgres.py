"""A consumer's table in PostgreSQL, `<schema>.<consumer>`: one row per row of the export, replaced whole.

Each sync deletes and re-inserts every row inside ONE transaction, so under MVCC the app sees the old
set or the new one, never a mix, and never waits: DELETE rather than TRUNCATE, which would lock readers
out until commit. `<schema>._sync_state` (one row per consumer) says which partition the table holds and
is written in the same transaction. Rows arrive by COPY into a temporary table first, so the receipt's
added/changed/removed are counted by key against what the table really held, whatever `previous` says.

The table is created from the Arrow schema (with the key as primary key) when absent. A table whose
columns no longer match the export is refused rather than altered: migrating what an app reads is a
deliberate step, not a side effect of a sync. In staging and prod the URL names a role that may touch
only this schema, made by `postgres_writer_role.sql` beside this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import psycopg
import pyarrow as pa
from psycopg import sql

from prod_pipelines.delivery.destinations.protocol import Receipt

SYNC_STATE = "_sync_state"

_PLAIN_TYPES = {
    pa.string(): "text", pa.large_string(): "text", pa.string_view(): "text",
    pa.int8(): "smallint", pa.int16(): "smallint", pa.uint8(): "smallint",
    pa.int32(): "integer", pa.uint16(): "integer", pa.int64(): "bigint", pa.uint32(): "bigint",
    pa.uint64(): "numeric(20,0)", pa.float16(): "real", pa.float32(): "real", pa.float64(): "double precision",
    pa.bool_(): "boolean", pa.date32(): "date", pa.date64(): "date",
    pa.binary(): "bytea", pa.large_binary(): "bytea",
}


def pg_type(arrow_type: pa.DataType) -> str:
    """The PostgreSQL column type for an Arrow type, spelled as `format_type()` reports it."""
    if arrow_type in _PLAIN_TYPES:
        return _PLAIN_TYPES[arrow_type]
    if pa.types.is_decimal(arrow_type):
        return f"numeric({arrow_type.precision},{arrow_type.scale})"
    if pa.types.is_timestamp(arrow_type):
        return "timestamp with time zone" if arrow_type.tz else "timestamp without time zone"
    if pa.types.is_time(arrow_type):
        return "time without time zone"
    raise TypeError(f"no PostgreSQL column type for Arrow type {arrow_type}")


@dataclass(frozen=True)
class PostgresTable:
    """Replaces `<schema>.<consumer>` with the rows it is given; see the module docstring for the why.

    With no key columns, whole rows are compared (nothing counts as changed) and the table gets no
    primary key. `previous` is not needed: the counts come from the table itself.
    """

    dsn: str
    schema: str = "public"

    def sync(self, consumer: str, partition: date, rows: pa.Table, key: list[str],
             previous: pa.Table | None, retry: frozenset[str] = frozenset()) -> Receipt:
        """Replaces the whole copy, so nothing is ever refused alone and `retry` has nothing to add."""
        columns = [(f.name, pg_type(f.type)) for f in rows.schema]
        names = [name for name, _ in columns]
        missing = [k for k in key if k not in names]
        if missing:
            raise ValueError(f"{consumer}: key column(s) {missing} are not in the rows ({names})")
        table = sql.Identifier(self.schema, consumer)
        with psycopg.connect(self.dsn, autocommit=True) as conn, conn.transaction(), conn.cursor() as cur:
            cur.execute("select pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"{self.schema}.{consumer}"])
            self._ensure_tables(cur, table, columns, key)
            cur.execute(sql.SQL("lock table {} in exclusive mode").format(table))
            cur.execute(sql.SQL("create temp table _incoming ({}) on commit drop").format(_column_ddl(columns)))
            with cur.copy(sql.SQL("copy _incoming ({}) from stdin").format(_names(names))) as copy:
                for row in zip(*(column.to_pylist() for column in rows.columns), strict=True):
                    copy.write_row(row)
            added, changed, removed = _counts(cur, table, key or names, names)
            cur.execute(sql.SQL("delete from {}").format(table))
            cur.execute(sql.SQL("insert into {} ({cols}) select {cols} from _incoming")
                        .format(table, cols=_names(names)))
            cur.execute(
                sql.SQL("insert into {} (consumer, \"partition\", synced_at, \"rows\") values (%s, %s, now(), %s) "
                        "on conflict (consumer) do update set \"partition\" = excluded.\"partition\", "
                        "synced_at = excluded.synced_at, \"rows\" = excluded.\"rows\"")
                .format(sql.Identifier(self.schema, SYNC_STATE)),
                [consumer, partition, rows.num_rows])
            location = f"postgresql://{conn.info.host}:{conn.info.port}/{conn.info.dbname}/{self.schema}.{consumer}"
        return Receipt(location=location, rows=rows.num_rows, added=added, changed=changed, removed=removed)

    def _ensure_tables(self, cur: psycopg.Cursor, table: sql.Identifier, columns: list[tuple[str, str]],
                       key: list[str]) -> None:
        # `create schema if not exists` needs CREATE on the database even when the schema exists: a
        # least-privilege writer (postgres_writer_role.sql) only has its schema, so ask first.
        cur.execute("select to_regnamespace(%s) is null", [sql.Identifier(self.schema).as_string(cur)])
        if cur.fetchone()[0]:
            cur.execute(sql.SQL("create schema {}").format(sql.Identifier(self.schema)))
        cur.execute(sql.SQL("create table if not exists {} (consumer text primary key, \"partition\" date not null, "
                            "synced_at timestamptz not null, \"rows\" bigint not null)")
                    .format(sql.Identifier(self.schema, SYNC_STATE)))
        cur.execute("select a.attname, format_type(a.atttypid, a.atttypmod) from pg_attribute a "
                    "where a.attrelid = to_regclass(%s) and a.attnum > 0 and not a.attisdropped",
                    [table.as_string(cur)])
        existing = dict(cur.fetchall())
        if not existing:
            primary_key = sql.SQL(", primary key ({})").format(_names(key)) if key else sql.SQL("")
            cur.execute(sql.SQL("create table {} ({}{})").format(table, _column_ddl(columns), primary_key))
        elif existing != dict(columns):
            raise ValueError(f"{table.as_string(cur)} has columns {existing} but the export has {dict(columns)}; "
                             "migrate the table deliberately before syncing")


def _counts(cur: psycopg.Cursor, table: sql.Identifier, match_on: list[str], names: list[str]) -> tuple[int, int, int]:
    """Rows added, changed (same key, other values) and removed, comparing `_incoming` with the table."""
    same_key = sql.SQL(" and ").join(sql.SQL("t.{0} is not distinct from i.{0}").format(sql.Identifier(k))
                                     for k in match_on)
    values = [n for n in names if n not in match_on]
    differs = (sql.SQL("row({}) is distinct from row({})").format(
        sql.SQL(", ").join(sql.SQL("t.{}").format(sql.Identifier(v)) for v in values),
        sql.SQL(", ").join(sql.SQL("i.{}").format(sql.Identifier(v)) for v in values))
        if values else sql.SQL("false"))
    cur.execute(sql.SQL(
        "select (select count(*) from _incoming i where not exists (select 1 from {t} t where {same})), "
        "(select count(*) from _incoming i where exists (select 1 from {t} t where {same} and {differs})), "
        "(select count(*) from {t} t where not exists (select 1 from _incoming i where {same}))"
    ).format(t=table, same=same_key, differs=differs))
    added, changed, removed = cur.fetchone()
    return added, changed, removed


def _names(names: list[str]) -> sql.Composable:
    return sql.SQL(", ").join(sql.Identifier(n) for n in names)


def _column_ddl(columns: list[tuple[str, str]]) -> sql.Composable:
    return sql.SQL(", ").join(sql.SQL("{} {}").format(sql.Identifier(n), sql.SQL(t)) for n, t in columns)
