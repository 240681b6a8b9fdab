"""Changing an export without breaking its consumer (docs/runbook.md, "Changing an export").

The runbook's example, end to end on a copy of the repository: the retailer app's `rank` becomes
`store_rank`. Made in place, the contract check fails and names the consumer; made as version 2, it
passes, both versions are built, and only the consumer that moves to v2 receives the new shape.
"""

from __future__ import annotations

import copy
import json
import re
from datetime import date, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from prod_pipelines.dbt.baseline import baseline_manifest
from prod_pipelines.dbt.project import DBT_PROJECT, manifest
from prod_pipelines.delivery.consumers import consumers, consumers_from_manifest
from prod_pipelines.delivery.export_contracts import compare
from prod_pipelines.producers.synthetic import generate_landing
from prod_pipelines_tests.support.cli import copy_checkout, run_cli
from prod_pipelines_tests.support.warehouse_state import query

EXPORT = "exp_retailer_app__top_items"
V1 = f"model.prod_pipelines.{EXPORT}.v1"
FIRST, SECOND, THIRD = date(2025, 3, 3), date(2025, 3, 4), date(2025, 3, 5)
TODAY = date(2025, 6, 1)


def exports_yaml(project: Path) -> Path:
    return project / "dbt_project" / "models" / "exports" / "_exports__models.yml"


def rename_rank_in_place(checkout: Path) -> None:
    """The breaking change as one commit: version 1's `rank` renamed to `store_rank`."""
    sql = checkout / "dbt_project" / "models" / "exports" / f"{EXPORT}.sql"
    sql.write_text(sql.read_text().replace("store_rank as rank,", "store_rank,"))
    text = exports_yaml(checkout).read_text()
    text = text.replace("sku_id, rank, market_rank", "sku_id, store_rank, market_rank")
    text = text.replace("- {name: rank, data_type: integer", "- {name: store_rank, data_type: integer")
    exports_yaml(checkout).write_text(text)


def add_version_2(checkout: Path) -> None:
    """The same change as the runbook's phase 1: `<export>_v2.sql` beside v1, with its own checks."""
    folder = checkout / "dbt_project" / "models" / "exports"
    (folder / f"{EXPORT}_v2.sql").write_text(
        (folder / f"{EXPORT}.sql").read_text().replace("store_rank as rank,", "store_rank,"))
    text = exports_yaml(checkout).read_text()
    start = text.index(f"  - name: {EXPORT}\n")
    v1_tests = re.search(r"        data_tests:\n((?:          - .*\n)+)", text[start:]).group(1)
    v2_tests = (v1_tests.replace("sku_id, rank, market_rank", "sku_id, store_rank, market_rank")
                .replace("name: exp_retailer_app__top_items_", "name: exp_retailer_app__top_items_v2_")
                .replace("name: retailer_app_export_", "name: retailer_app_export_v2_"))
    anchor = text.index("    description:", start)
    version_2 = ("      - v: 2\n        data_tests:\n" + v2_tests + "        columns:\n"
                 "          - {include: all, exclude: [rank]}\n"
                 "          - {name: store_rank, data_type: integer}\n")
    exports_yaml(checkout).write_text(text[:anchor] + version_2 + text[anchor:])


def pin(checkout: Path, consumer: str, version: int) -> None:
    text = exports_yaml(checkout).read_text()
    pinned = re.sub(rf"(consumer: \{{name: {consumer}, version: )\d+", rf"\g<1>{version}", text)
    exports_yaml(checkout).write_text(pinned)


def contracts(checkout: Path, data_dir: Path):
    return run_cli("contracts", "--against", str(DBT_PROJECT.manifest_path), data_dir=data_dir, start_date=FIRST,
                   checkout=checkout, check=False)


def delivered_columns(data_dir: Path, consumer: str, day: date) -> list[str]:
    return pq.read_schema(data_dir / "destinations" / consumer / f"dt={day}" / "part-0.parquet").names


def backfill(checkout: Path, data_dir: Path, start: date, end: date) -> None:
    run_cli("backfill", "--start", start.isoformat(), "--end", end.isoformat(), "--approve-large-change", "all",
            data_dir=data_dir, start_date=FIRST, checkout=checkout)


def test_a_breaking_change_in_place_fails_and_names_the_consumer(tmp_path):
    manifest()  # the deployed manifest the copy is compared against
    checkout = copy_checkout(tmp_path / "repo")
    rename_rank_in_place(checkout)
    done = contracts(checkout, tmp_path / "data")
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"BREAKING {EXPORT} v1: column(s) removed: rank (consumers pinned: retailer_app)" in done.stdout
    assert "salesforce" not in done.stdout and "crm_email" not in done.stdout


def test_the_same_change_as_a_new_version_reaches_only_the_consumer_that_moves(tmp_path):
    manifest()
    checkout, data_dir = copy_checkout(tmp_path / "repo"), tmp_path / "data"
    generate_landing(data_dir, FIRST, THIRD, scale=0.02)
    add_version_2(checkout)
    done = contracts(checkout, data_dir)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{EXPORT} v2: new version (no consumer is pinned to it)" in done.stdout

    backfill(checkout, data_dir, FIRST, SECOND)  # dual-run: both versions built, v1 still sent
    v1_columns = delivered_columns(data_dir, "retailer_app", SECOND)
    assert "rank" in v1_columns and "store_rank" not in v1_columns
    sql = "select store_id, sku_id, {} from exports.{} where as_of_date = ? order by all"
    assert (query(data_dir, sql.format("store_rank", f"{EXPORT}_v2"), [SECOND])
            == query(data_dir, sql.format("rank", EXPORT), [SECOND]))  # same rows, new name

    pin(checkout, "retailer_app", 2)
    done = contracts(checkout, data_dir)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"retailer_app moves from {EXPORT} v1" in done.stdout
    others = {c: delivered_columns(data_dir, c, SECOND) for c in ("salesforce",)}
    backfill(checkout, data_dir, THIRD, THIRD)
    moved = delivered_columns(data_dir, "retailer_app", THIRD)
    assert "store_rank" in moved and "rank" not in moved
    assert [c for c in moved if c != "store_rank"] == [c for c in v1_columns if c != "rank"]
    assert {c: delivered_columns(data_dir, c, THIRD) for c in others} == others  # the others keep v1
    sent = query(data_dir, "select store_id, sku_id, store_rank from exports.{} where as_of_date = ? order by all"
                 .format(f"{EXPORT}_v2"), [THIRD])
    received = pq.read_table(data_dir / "destinations" / "retailer_app" / f"dt={THIRD}" / "part-0.parquet")
    assert sorted((r["store_id"], r["sku_id"], r["store_rank"]) for r in received.to_pylist()) == sorted(sent)


def test_every_consumer_is_pinned_to_a_version_of_its_export():
    assert {c.name: (c.export_relation, c.export_version) for c in consumers()} == {
        "retailer_app": ("exports.exp_retailer_app__top_items", 1),
        "salesforce": ("exports.exp_salesforce__store_recommendations", 1),
        "crm_email": ("exports.exp_crm__weekly_email", 1)}


def test_a_pin_to_a_version_the_export_does_not_declare_is_refused_with_the_consumer_named():
    changed = copy.deepcopy(manifest())
    changed["nodes"][V1]["meta"]["consumer"]["version"] = 3
    with pytest.raises(ValueError, match=rf"consumer retailer_app is pinned to {EXPORT} v3, .*versions: v1\)"):
        consumers_from_manifest(changed)


def findings(change) -> list[tuple[bool, str, tuple[str, ...], str]]:
    new = copy.deepcopy(manifest())
    change(new["nodes"])
    return [(f.breaking, f.export, f.consumers, f.text) for f in compare(manifest(), new, TODAY)]


def test_what_breaks_a_pinned_version_and_what_does_not():
    def retype(nodes):
        nodes[V1]["columns"]["market_units_l90"]["data_type"] = "DOUBLE"

    def unenforce(nodes):
        nodes[V1]["config"]["contract"]["enforced"] = False

    def add_column(nodes):
        nodes[V1]["columns"]["sku_name"] = {"name": "sku_name", "data_type": "varchar"}

    def add_constraint_then_check(nodes):
        nodes[V1]["columns"]["store_id"]["constraints"] = [{"type": "not_null"}]

    def same_type_other_spelling(nodes):
        nodes[V1]["columns"]["market_revenue_l90"]["data_type"] = "DECIMAL(38, 4)"

    label = f"{EXPORT} v1"
    assert findings(retype) == [(True, label, ("retailer_app",), "type changed: market_units_l90 bigint -> double")]
    assert findings(unenforce) == [(True, label, ("retailer_app",), "contract no longer enforced")]
    assert findings(add_column) == [(False, label, ("retailer_app",), "column(s) added: sku_name")]
    assert findings(same_type_other_spelling) == []
    base = copy.deepcopy(manifest())
    add_constraint_then_check(base["nodes"])
    dropped = compare(base, manifest(), TODAY)
    assert [(f.breaking, f.text) for f in dropped] == [(True, "constraint(s) removed: store_id: not_null")]


def test_a_version_nobody_is_pinned_to_may_change_and_retire():
    def move_then_change_v1(nodes):
        v2 = copy.deepcopy(nodes[V1]) | {"unique_id": V1.replace("v1", "v2"), "version": 2}
        nodes[v2["unique_id"]] = v2
        for node in (nodes[V1], v2):
            node["meta"]["consumer"] = nodes[V1]["meta"]["consumer"] | {"version": 2}
        del nodes[V1]["columns"]["rank"]

    assert sorted(findings(move_then_change_v1)) == [
        (False, f"{EXPORT} v1", (), "column(s) removed: rank"),
        (False, f"{EXPORT} v2", ("retailer_app",), "new version"),
        (False, f"{EXPORT} v2", ("retailer_app",), f"retailer_app moves from {EXPORT} v1")]


def test_a_retirement_date_close_or_passed_is_reported_with_the_consumer_still_pinned():
    def retire(days):
        def change(nodes):
            nodes[V1]["deprecation_date"] = (TODAY + timedelta(days=days)).isoformat() + "T00:00:00"
        return change

    assert findings(retire(30)) == []
    assert findings(retire(14)) == [(False, f"{EXPORT} v1", ("retailer_app",),
                                     f"retires on {TODAY + timedelta(days=14)} and retailer_app is still pinned "
                                     "to it: move the consumer")]
    assert findings(retire(-1))[0][3].startswith(f"was retired on {TODAY - timedelta(days=1)}")


def test_the_baseline_is_a_saved_manifest_or_a_git_revision(tmp_path):
    saved = tmp_path / "manifest.json"
    saved.write_text(json.dumps(manifest()))
    assert baseline_manifest(str(saved))["nodes"].keys() == manifest()["nodes"].keys()
    assert baseline_manifest(str(tmp_path))["nodes"].keys() == manifest()["nodes"].keys()
    at_head = baseline_manifest("HEAD")
    assert any(n["name"] == EXPORT for n in at_head["nodes"].values())
    with pytest.raises(ValueError, match="no-such-revision: neither a manifest.json nor a git revision"):
        baseline_manifest("no-such-revision")
