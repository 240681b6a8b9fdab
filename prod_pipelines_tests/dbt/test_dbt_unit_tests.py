"""dbt's own unit tests (ranking, tie-breaks, window edges, exclusions) run against an empty warehouse."""

from __future__ import annotations

import json
import os
import subprocess

import duckdb

from prod_pipelines.landing.contracts import CONTRACTS
from prod_pipelines.landing.loader import ensure_tables
from prod_pipelines.settings import DBT_EXECUTABLE, DBT_PROJECT_DIR


def dbt(*args: str, target: str, warehouse: str) -> subprocess.CompletedProcess:
    command = [DBT_EXECUTABLE, *args, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
               "--target-path", target, "--vars", json.dumps({"warehouse_path": warehouse})]
    return subprocess.run(command, capture_output=True, text=True, env={**os.environ, "DO_NOT_TRACK": "1"},
                          cwd=DBT_PROJECT_DIR, timeout=600)


def test_every_dbt_unit_test_passes(tmp_path):
    warehouse = str(tmp_path / "warehouse.duckdb")
    conn = duckdb.connect(warehouse)
    for contract in CONTRACTS.values():
        ensure_tables(conn, contract)
    conn.close()
    built = dbt("run", "--empty", target=str(tmp_path / "target"), warehouse=warehouse)
    assert built.returncode == 0, built.stdout[-3000:]
    tested = dbt("test", "--select", "test_type:unit", target=str(tmp_path / "target"), warehouse=warehouse)
    assert tested.returncode == 0, tested.stdout[-4000:]
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    names = {r["unique_id"].split(".")[-1] for r in results if r["status"] == "pass"}
    assert {"market_rank_breaks_unit_ties_by_revenue_then_sku_id",
            "market_sales_count_90_days_net_of_returns_and_drop_unknown_stores",
            "stores_get_top_sellers_they_do_not_carry_and_may_sell",
            "a_suppression_published_on_d_applies_on_d_and_the_store_gets_its_next_item",
            "a_suppression_applies_on_its_expiry_day_and_not_after_nor_before_it_is_published",
            "a_suppression_touches_only_its_own_store_and_item"} <= names
