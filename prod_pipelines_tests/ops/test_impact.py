"""Impact analysis on the real graph: asset level, column level, and a changed model found by dbt state.

The expectations are the known graph: inventory only reaches the mart (not the market ranking), its
`on_hand_qty` only decides which rows exist, and order quantities flow into the exports' unit columns.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from prod_pipelines.dbt.commands import save_state
from prod_pipelines.ops.impact import impact, impact_changed, main_impact
from prod_pipelines.settings import DBT_PROJECT_DIR

EXPORTS = {"exports/exp_crm__weekly_email", "exports/exp_retailer_app__top_items",
           "exports/exp_salesforce__store_recommendations"}
OWNERS = {"crm_email": ["team:crm-marketing"], "retailer_app": ["team:retailer-app"], "salesforce": ["team:sales-ops"]}


def as_json(target: str) -> dict:
    return json.loads(impact(target, fmt="json"))


def test_raw_inventory_reaches_the_mart_every_export_and_every_consumer_with_its_owner():
    report = as_json("raw/inventory")
    downstream = {d["asset"] for d in report["downstream"]}
    assert {"staging/stg_inventory", "marts/top_items_not_carried"} | EXPORTS <= downstream
    assert "intermediate/int_market_sales_ranked" not in downstream  # inventory does not rank sales
    assert set(report["exports"]) == EXPORTS
    assert {c["consumer"]: c["owners"] for c in report["consumers"]} == OWNERS
    assert all(c["destination"] and c["sla"] for c in report["consumers"])
    # The feed's own contract checks first (staging is raw under that contract and re-tests nothing).
    assert {c.partition(":")[0] for c in report["checks"]} >= {"raw/inventory", "marts/top_items_not_carried"}


def test_the_tree_shows_each_consumer_under_its_export_with_owner_and_sla():
    tree = impact("raw/inventory")
    lines = tree.splitlines()
    export = next(i for i, line in enumerate(lines) if line.strip(" │├└─").startswith("exports/exp_crm__weekly_email"))
    consumer = next(line for line in lines[export + 1:export + 3] if "destinations/crm_email" in line)
    assert "team:crm-marketing" in consumer and "SLA Mondays" in consumer


def test_on_hand_qty_decides_which_items_are_recommended_but_no_export_column_derives_from_it():
    report = as_json("raw/inventory.on_hand_qty")
    assert report["flows_into"] == {"staging/stg_inventory": ["on_hand_qty"]}
    assert report["decides_rows_of"] == {"marts/top_items_not_carried": ["staging/stg_inventory.on_hand_qty"]}
    assert set(report["rows_affected"]) >= EXPORTS
    assert report["export_columns"] == {export: [] for export in EXPORTS}
    assert {c["consumer"]: c["impact"] for c in report["consumers"]} == dict.fromkeys(OWNERS, "rows")


def test_order_quantity_flows_through_units_l90_into_the_exports_market_units():
    report = as_json("stg_orders.quantity")
    flows = report["flows_into"]
    assert "units_l90" in flows["intermediate/int_market_sales_ranked"]
    assert "units_l90" in flows["marts/top_items_not_carried"]
    for export in ("exports/exp_retailer_app__top_items", "exports/exp_salesforce__store_recommendations"):
        assert "market_units_l90" in report["export_columns"][export]
        assert "market_revenue_l90" not in report["export_columns"][export]  # revenue is line_amount's
    assert {c["consumer"]: c["impact"] for c in report["consumers"]} == dict.fromkeys(OWNERS, "values")


def test_a_column_used_by_no_model_reaches_no_consumer():
    report = as_json("raw/orders.ordered_at")
    assert report["flows_into"] == {"staging/stg_orders": ["ordered_at"]}
    assert report["decides_rows_of"] == {} and report["consumers"] == []


def test_an_unknown_asset_or_column_is_an_error_that_lists_what_exists(capsys):
    assert main_impact(["raw/inventory.no_such_column"]) == 2
    assert "on_hand_qty" in capsys.readouterr().err
    assert main_impact(["raw/no_such_feed"]) == 2
    assert "raw/inventory" in capsys.readouterr().err


def test_the_command_prints_json_on_request(capsys):
    assert main_impact(["raw/inventory", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["target"] == "raw/inventory"


@pytest.fixture(scope="module")
def baseline(tmp_path_factory) -> tuple[Path, Path]:
    """A copy of the dbt project and the manifest saved from it, as CI would save it on main."""
    root = tmp_path_factory.mktemp("impact_state")
    project = root / "base"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    save_state(root / "state", project_dir=project)
    return project, root / "state"


def test_a_changed_staging_model_reports_the_consumers_it_affects(baseline, tmp_path):
    base, state = baseline
    changed = tmp_path / "changed"
    shutil.copytree(base, changed)
    model = changed / "models" / "staging" / "stg_inventory.sql"
    model.write_text(model.read_text() + "\n-- reviewed: a change to the inventory staging model\n")

    report = json.loads(impact_changed(state, fmt="json", project_dir=changed))
    assert report["changed"] == ["staging/stg_inventory"]
    assert {c["consumer"]: c["owners"] for c in report["consumers"]} == OWNERS
    assert "marts/top_items_not_carried" in {d["asset"] for d in report["downstream"]}


def test_an_unchanged_project_affects_no_consumer(baseline):
    base, state = baseline
    report = json.loads(impact_changed(state, fmt="json", project_dir=base))
    assert report["changed"] == [] and report["consumers"] == []

