"""Least-privilege PostgreSQL roles made the way an operator makes them: the shipped
`postgres_writer_role.sql` run through psql (its header gives the command), and dropped afterwards."""

from __future__ import annotations

import os
import shutil
import subprocess

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from prod_pipelines.settings import REPO_ROOT

ROLE_SQL = REPO_ROOT / "prod_pipelines" / "delivery" / "destinations" / "postgres_writer_role.sql"


def grant_writer_role(admin_dsn: str, *, schema: str, writer: str, login: str) -> None:
    """Runs the SQL file as the administrator of `admin_dsn`'s database, with these names."""
    variables = [arg for name, value in (("ON_ERROR_STOP", "1"), ("schema", schema), ("writer", writer),
                                         ("login", login)) for arg in ("-v", f"{name}={value}")]
    subprocess.run([_psql(), admin_dsn, *variables, "-f", str(ROLE_SQL)], capture_output=True, text=True, check=True,
                   timeout=60)


def as_login(admin_dsn: str, login: str, **overrides: str) -> str:
    """`admin_dsn` with `login` as its user (the local server trusts it without a password)."""
    return make_conninfo(admin_dsn, user=login, **overrides)


def drop_roles(admin_dsn: str, prefix: str) -> None:
    """Drops every role named `prefix...`, and what they own in `admin_dsn`'s database, logins first."""
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        names = [r for (r,) in conn.execute("select rolname from pg_roles where starts_with(rolname, %s) "
                                            "order by rolname desc", [prefix]).fetchall()]
        if names:
            conn.execute(sql.SQL("drop owned by {} cascade").format(sql.SQL(", ").join(map(sql.Identifier, names))))
        for name in names:
            conn.execute(sql.SQL("drop role {}").format(sql.Identifier(name)))


def admin_user(admin_dsn: str) -> str:
    return conninfo_to_dict(admin_dsn)["user"]


def _psql() -> str:
    found = shutil.which("psql")
    if found is None:
        reason = "psql (PostgreSQL's client) is not installed: the writer role's SQL is run through it"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return found
