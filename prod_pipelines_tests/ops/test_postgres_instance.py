"""staging, end to end: a PostgreSQL-backed Dagster instance and every consumer on a real destination."""

from __future__ import annotations

import re
import shutil
import uuid
from datetime import date

import dagster as dg
import psycopg
import pyarrow.parquet as pq
import pytest
from psycopg import sql

from prod_pipelines.ops.runner import INSTANCE_TEMPLATES
from prod_pipelines.producers.synthetic import generate_landing
from prod_pipelines.settings import DAGSTER_PG_URL_VAR
from prod_pipelines_tests.support.cli import copy_checkout, run_cli
from prod_pipelines_tests.support.http_crm_server import CrmServer
from prod_pipelines_tests.support.postgres_roles import drop_roles, grant_writer_role

FIRST, LAST = date(2025, 3, 3), date(2025, 3, 10)  # LAST is a Monday: every consumer gets it


@pytest.fixture
def dagster_database(postgres_dsn):
    name = f"dagster_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    # SQLAlchemy 2.1 maps postgresql:// to psycopg 3, whose server-side parameters break
    # dagster-postgres's NOTIFY: the instance URL names the psycopg2 driver (see docs/runbook.md).
    yield postgres_dsn.split("/test")[0].replace("postgresql://", "postgresql+psycopg2://") + f"/{name}?sslmode=prefer"
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


def test_staging_runs_on_a_postgres_backed_instance_and_delivers_to_real_destinations(
        tmp_path, postgres_dsn, postgres_schema, dagster_database):
    """The local server has no TLS, so this runs a copy of the project whose staging.yaml accepts
    `sslmode=prefer` (the URLs say it, proving the setting reaches both drivers); staging's own rule
    is tested in definitions/test_environments.py."""
    checkout = copy_checkout(tmp_path / "repo")
    staging = checkout / "prod_pipelines" / "config" / "staging.yaml"
    staging.write_text(staging.read_text().replace("postgres_min_sslmode: require", "postgres_min_sslmode: prefer"))
    generate_landing(tmp_path, FIRST, LAST, scale=0.02)
    drop = tmp_path / "retailer-app-drop"
    with CrmServer(token="staging-token") as crm:
        env = {"PROD_PIPELINES_ENV": "staging", "PROD_PIPELINES_DAGSTER_PG_URL": dagster_database,
               "PROD_PIPELINES_RETAILER_APP_URL": str(drop),
               "PROD_PIPELINES_SALESFORCE_URL": crm.url, "PROD_PIPELINES_SALESFORCE_TOKEN": "staging-token",
               "PROD_PIPELINES_CRM_EMAIL_URL": f"{postgres_dsn}&sslmode=prefer&schema={postgres_schema}"}
        done = run_cli("backfill", "--start", FIRST.isoformat(), "--end", LAST.isoformat(),
                       data_dir=tmp_path, start_date=FIRST, env=env, checkout=checkout)
        assert "staging-token" not in done.stdout + done.stderr, "secrets are never printed"
        crm_records = crm.records.get("salesforce", {})
    assert "sqlite" not in (tmp_path / "dagster" / "dagster.yaml").read_text()
    with psycopg.connect(dagster_database.replace("+psycopg2", "")) as conn:
        statuses = conn.execute("select status, count(*) from runs group by status").fetchall()
    assert statuses == [("SUCCESS", 1)]
    assert crm_records and all(r["as_of_date"] == LAST.isoformat() for r in crm_records.values())
    app = pq.read_table(drop / "retailer_app" / f"dt={LAST.isoformat()}" / "part-0.parquet")
    assert app.num_rows > 0 and (drop / "retailer_app" / f"dt={LAST.isoformat()}" / "_SUCCESS").exists()
    with psycopg.connect(postgres_dsn) as conn:
        emails = conn.execute(sql.SQL("select count(*) from {}").format(sql.Identifier(postgres_schema, "crm_email")))
        assert emails.fetchone()[0] > 0


def test_the_instance_works_through_a_least_privilege_login_and_survives_a_rotation_to_another(
        tmp_path, monkeypatch, postgres_dsn, dagster_database):
    """The Dagster database gets the destination's roles (postgres_writer_role.sql, schema public): the
    instance makes and writes its tables as the writer, and the URL rotation of docs/runbook.md (a second
    login, then the first dropped) loses nothing."""
    name = dagster_database.rsplit("/", 1)[1].split("?")[0]
    admin, writer, marker = postgres_dsn.replace("/test", f"/{name}"), f"writer_{name}", dg.AssetKey("rotation")
    shutil.copyfile(INSTANCE_TEMPLATES / "dagster.postgres.yaml", tmp_path / "dagster.yaml")
    seen = []
    try:
        for login, drop_before in ((f"{writer}_1", None), (f"{writer}_2", f"{writer}_1")):
            grant_writer_role(admin, schema="public", writer=writer, login=login)
            if drop_before:
                with psycopg.connect(admin, autocommit=True) as conn:
                    conn.execute(sql.SQL("drop role {}").format(sql.Identifier(drop_before)))  # owns nothing
            monkeypatch.setenv(DAGSTER_PG_URL_VAR, re.sub(r"//[^@/]+@", f"//{login}@", dagster_database))
            with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
                instance.report_runless_asset_event(dg.AssetMaterialization(marker, metadata={"by": login}))
                seen = [e.asset_materialization.metadata["by"].value
                        for e in instance.fetch_materializations(marker, limit=10).records]
        with psycopg.connect(admin) as conn:
            owners = conn.execute("select distinct tableowner from pg_tables where schemaname = 'public'").fetchall()
    finally:
        drop_roles(admin, writer)
    assert sorted(seen) == [f"{writer}_1", f"{writer}_2"]
    assert owners == [(writer,)]
