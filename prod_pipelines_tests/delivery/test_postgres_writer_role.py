"""The destination's least-privilege role, made by the shipped `postgres_writer_role.sql` run through psql
as an operator would: deliveries through it work, and it can read or write nothing outside its schema.

Needs PostgreSQL at 127.0.0.1:5432 and psql; like the other PostgreSQL tests they skip without them on a
laptop and fail on CI (CI=true).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import psycopg
import pyarrow as pa
import pytest
from psycopg import sql

from prod_pipelines.delivery.destinations.postgres import PostgresTable
from prod_pipelines_tests.support.postgres_roles import admin_user, as_login, drop_roles, grant_writer_role

DAY1, DAY2 = date(2025, 3, 10), date(2025, 3, 11)
KEY = ["store_id", "sku_id"]


@dataclass(frozen=True)
class Roles:
    admin_dsn: str
    schema: str
    writer: str

    def login_dsn(self, login: str) -> str:
        return as_login(self.admin_dsn, login)

    def grant(self, login: str) -> None:
        grant_writer_role(self.admin_dsn, schema=self.schema, writer=self.writer, login=login)


@pytest.fixture
def roles(postgres_dsn: str, postgres_schema: str) -> Iterator[Roles]:
    """A writer role and logins (`<writer>_1`, `_2`) of this test's own, dropped afterwards with all they own
    (and the table `public.<writer>` that a test may make)."""
    tag = uuid.uuid4().hex[:10]
    made = Roles(admin_dsn=postgres_dsn, schema=f"{postgres_schema}_{tag}", writer=f"writer_{tag}")
    yield made
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("drop table if exists {}").format(sql.Identifier("public", made.writer)))
    drop_roles(postgres_dsn, made.writer)


def export(day: date, n: int) -> pa.Table:
    return pa.table({"as_of_date": [day] * n, "store_id": [f"S{i // 3}" for i in range(n)],
                     "sku_id": [f"K{i}" for i in range(n)], "store_rank": list(range(1, n + 1))})


def test_a_delivery_through_the_writer_role_creates_and_replaces_its_tables(roles):
    roles.grant(f"{roles.writer}_1")
    destination = PostgresTable(roles.login_dsn(f"{roles.writer}_1"), roles.schema)
    destination.sync("crm_email", DAY1, export(DAY1, 6), KEY, previous=None)
    receipt = destination.sync("crm_email", DAY2, export(DAY2, 4), KEY, previous=export(DAY1, 6))
    assert (receipt.rows, receipt.removed) == (4, 2)
    with psycopg.connect(roles.admin_dsn) as conn:
        owners = conn.execute("select tablename, tableowner from pg_tables where schemaname = %s order by 1",
                              [roles.schema]).fetchall()
    assert owners == [("_sync_state", roles.writer), ("crm_email", roles.writer)]


def test_the_writer_role_cannot_read_or_write_outside_its_schema(roles, postgres_schema):
    login = f"{roles.writer}_1"
    roles.grant(login)
    other = f"{postgres_schema}_{roles.writer}_other"
    with psycopg.connect(roles.admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("create schema {}").format(sql.Identifier(other)))
        conn.execute(sql.SQL("create table {} (secret text)").format(sql.Identifier(other, "accounts")))
        conn.execute(sql.SQL("insert into {} values ('hidden')").format(sql.Identifier(other, "accounts")))
        conn.execute(sql.SQL("create table {} (secret text)").format(sql.Identifier("public", roles.writer)))
    attempts = {
        "read another schema": sql.SQL("select * from {}").format(sql.Identifier(other, "accounts")),
        "write another schema": sql.SQL("insert into {} values ('x')").format(sql.Identifier(other, "accounts")),
        "create in another schema": sql.SQL("create table {} (a int)").format(sql.Identifier(other, "mine")),
        "read a public table": sql.SQL("select * from {}").format(sql.Identifier("public", roles.writer)),
        "write a public table": sql.SQL("delete from {}").format(sql.Identifier("public", roles.writer)),
        "create in public": sql.SQL("create table {} (a int)").format(sql.Identifier("public", f"{roles.writer}_x")),
        "create a schema": sql.SQL("create schema {}").format(sql.Identifier(f"{roles.writer}_new")),
        "become a superuser": sql.SQL("set role {}").format(sql.Identifier(admin_user(roles.admin_dsn))),
    }
    allowed = []
    with psycopg.connect(roles.login_dsn(login), autocommit=True) as conn:
        for what, statement in attempts.items():
            try:
                conn.execute(statement)
                allowed.append(what)
            except psycopg.errors.InsufficientPrivilege:
                pass
    assert allowed == [], f"the writer role could {allowed}"
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        PostgresTable(roles.login_dsn(login), other).sync("crm_email", DAY1, export(DAY1, 3), KEY, previous=None)
    with psycopg.connect(roles.admin_dsn) as conn:
        assert conn.execute(sql.SQL("select secret from {}").format(sql.Identifier(other, "accounts"))).fetchall() \
            == [("hidden",)]
        assert conn.execute("select to_regclass(%s)", [f"{other}.crm_email"]).fetchone()[0] is None


def test_a_second_login_takes_over_the_tables_so_the_first_can_be_dropped(roles):
    """The password rotation of docs/runbook.md: a new login, the URL switched to it, the old one dropped."""
    first, second = f"{roles.writer}_1", f"{roles.writer}_2"
    roles.grant(first)
    PostgresTable(roles.login_dsn(first), roles.schema).sync("crm_email", DAY1, export(DAY1, 5), KEY, previous=None)
    roles.grant(second)
    receipt = PostgresTable(roles.login_dsn(second), roles.schema).sync("crm_email", DAY2, export(DAY2, 7), KEY,
                                                                         previous=export(DAY1, 5))
    assert (receipt.added, receipt.removed) == (2, 0)
    with psycopg.connect(roles.admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("drop role {}").format(sql.Identifier(first)))  # it owns nothing
    again = PostgresTable(roles.login_dsn(second), roles.schema).sync("crm_email", DAY2, export(DAY2, 7), KEY,
                                                                       previous=export(DAY2, 7))
    assert (again.rows, again.added, again.changed, again.removed) == (7, 0, 0, 0)


def test_tables_delivered_before_the_roles_existed_pass_to_the_writer(roles, postgres_dsn):
    PostgresTable(postgres_dsn, roles.schema).sync("crm_email", DAY1, export(DAY1, 4), KEY, previous=None)
    roles.grant(f"{roles.writer}_1")
    receipt = PostgresTable(roles.login_dsn(f"{roles.writer}_1"), roles.schema).sync(
        "crm_email", DAY2, export(DAY2, 4), KEY, previous=export(DAY1, 4))
    assert receipt.changed == 4

