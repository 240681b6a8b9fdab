"""Consumers pointed at real destinations by environment variables: the CRM's HTTP API and PostgreSQL."""

from __future__ import annotations

from datetime import date

import duckdb
import psycopg
import pytest
from psycopg import sql

from prod_pipelines.producers.synthetic import generate_landing
from prod_pipelines_tests.support.cli import run_cli
from prod_pipelines_tests.support.http_crm_server import CrmServer

FIRST, MONDAY, TUESDAY, WEDNESDAY = date(2025, 3, 3), date(2025, 3, 10), date(2025, 3, 11), date(2025, 3, 12)


def export_rows(data_dir, export: str, day: date) -> list[dict]:
    conn = duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True)
    try:
        cursor = conn.execute(f"select * from exports.{export} where as_of_date = ? order by all", [day])
        columns = [d[0] for d in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    finally:
        conn.close()


def crm_state(server: CrmServer) -> dict[str, tuple]:
    return {eid: (r["as_of_date"], r["store_id"], r["sku_id"], r["recommendation_rank"])
            for eid, r in server.records.get("salesforce", {}).items()}


def expected_crm_state(data_dir, day: date) -> dict[str, tuple]:
    return {r["external_id"]: (r["as_of_date"].isoformat(), r["store_id"], r["sku_id"], r["recommendation_rank"])
            for r in export_rows(data_dir, "exp_salesforce__store_recommendations", day)}


@pytest.fixture(scope="module")
def wired(tmp_path_factory, postgres_dsn, postgres_schema):
    data_dir = tmp_path_factory.mktemp("real_destinations")
    generate_landing(data_dir, FIRST, WEDNESDAY, scale=0.02)
    with CrmServer() as server:
        env = {"PROD_PIPELINES_SALESFORCE_URL": server.url,
               "PROD_PIPELINES_CRM_EMAIL_URL": f"{postgres_dsn}&schema={postgres_schema}"}
        run = lambda *args: run_cli(*args, data_dir=data_dir, start_date=FIRST, env=env)  # noqa: E731
        yield data_dir, server, run, postgres_schema


def test_the_crm_holds_exactly_the_newest_export_and_the_email_table_the_newest_monday(wired, postgres_dsn):
    data_dir, server, run, schema = wired
    run("backfill", "--start", FIRST.isoformat(), "--end", TUESDAY.isoformat())
    assert crm_state(server) == expected_crm_state(data_dir, TUESDAY) != {}
    with psycopg.connect(postgres_dsn) as conn:
        held = conn.execute(sql.SQL("select as_of_date, store_id, sku_id, position from {} order by 2, 3")
                            .format(sql.Identifier(schema, "crm_email"))).fetchall()
    expected = sorted((r["as_of_date"], r["store_id"], r["sku_id"], r["position"])
                      for r in export_rows(data_dir, "exp_crm__weekly_email", MONDAY))
    assert sorted(held) == expected and held


def test_the_next_day_updates_the_crm_and_a_rollback_restores_the_day_before(wired):
    data_dir, server, run, _ = wired
    # At this tiny scale (a few dozen recommendations) a day moves more than the 30% blast-radius
    # limit (tested in test_sync_ledger.py); the operator approves it, as the refusal message says.
    run("backfill", "--start", WEDNESDAY.isoformat(), "--end", WEDNESDAY.isoformat(), "--approve-large-change", "all")
    assert crm_state(server) == expected_crm_state(data_dir, WEDNESDAY)
    rolled = run("rollback", "salesforce")
    assert f"rolled back to salesforce-{TUESDAY.isoformat()}" in rolled.stdout
    assert crm_state(server) == expected_crm_state(data_dir, TUESDAY)
    history = run("syncs", "salesforce").stdout.splitlines()
    assert [line.split()[1:3] for line in history] == [["sync", "succeeded"], ["sync", "rolled_back"],
                                                       ["rollback", "succeeded"]]
