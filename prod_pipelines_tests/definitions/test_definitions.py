"""The asset graph a user sees in the UI: layers, keys, owners, descriptions and lineage."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date

import dagster as dg
import pytest

from prod_pipelines.definitions import build_definitions
from prod_pipelines.settings import Settings

LAYER_ORDER = ["raw", "staging", "intermediate", "marts", "exports", "completeness", "destinations"]
FEEDS = ["stores", "products", "orders", "inventory"]
CONSUMER_EXPORTS = {
    "retailer_app": "exp_retailer_app__top_items",
    "salesforce": "exp_salesforce__store_recommendations",
    "crm_email": "exp_crm__weekly_email",
}


@pytest.fixture(scope="module")
def graph(tmp_path_factory):
    settings = Settings(data_dir=tmp_path_factory.mktemp("defs"), start_date=date(2025, 1, 1))
    defs = build_definitions(settings)
    dg.Definitions.validate_loadable(defs)
    return defs.resolve_asset_graph()


def _node(graph, key: str):
    return graph.get(dg.AssetKey.from_user_string(key))


def test_every_asset_has_a_description_an_owner_a_tier_and_a_layer_group(graph):
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        name = key.to_user_string()
        assert node.description, f"{name} has no description"
        assert node.owners, f"{name} has no owner"
        assert node.tags.get("tier"), f"{name} has no tier tag"
        assert node.group_name == key.path[0], f"{name} is in group {node.group_name}"


def test_every_asset_has_a_column_schema_and_every_dbt_asset_its_column_lineage(graph):
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        schema = node.metadata.get("dagster/column_schema")
        assert schema is not None and len(schema.columns) >= 3, f"{key.to_user_string()} has no column schema"
        untyped = [c.name for c in schema.columns if not c.type]
        assert not untyped, f"{key.to_user_string()}: no type for {untyped}"  # the UI would show blank types
        if key.path[0] in ("staging", "intermediate", "marts", "exports"):
            lineage = node.metadata.get("dagster/column_lineage")
            assert lineage is not None, f"{key.to_user_string()} has no column lineage"
            assert set(lineage.deps_by_column) == {c.name for c in schema.columns}


def test_column_lineage_follows_a_quantity_from_orders_to_the_retailer_export(graph):
    def deps(asset: str, column: str) -> set[str]:
        lineage = _node(graph, asset).metadata["dagster/column_lineage"]
        return {f"{d.asset_key.to_user_string()}:{d.column_name}" for d in lineage.deps_by_column[column]}

    assert deps("exports/exp_retailer_app__top_items", "market_units_l90") == {"marts/top_items_not_carried:units_l90"}
    assert "staging/stg_orders:quantity" in deps("intermediate/int_market_sales_ranked", "units_l90")
    assert deps("staging/stg_orders", "quantity") == {"raw/orders:quantity"}


def test_asset_keys_follow_the_layers_and_cover_every_feed_and_consumer(graph):
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert {f"raw/{feed}" for feed in FEEDS} <= keys
    assert {f"destinations/{c}" for c in CONSUMER_EXPORTS} <= keys
    assert {f"exports/{e}" for e in CONSUMER_EXPORTS.values()} <= keys
    assert "marts/top_items_not_carried" in keys
    assert {k.split("/")[0] for k in keys} == set(LAYER_ORDER)


def test_every_dependency_points_to_the_same_or_an_earlier_layer(graph):
    for key in graph.get_all_asset_keys():
        for parent in graph.get(key).parent_keys:
            assert LAYER_ORDER.index(parent.path[0]) <= LAYER_ORDER.index(key.path[0]), f"{parent} -> {key}"


def test_lineage_runs_from_every_raw_feed_to_every_destination(graph):
    for feed in FEEDS:
        downstream = {k.to_user_string() for k in graph.get(dg.AssetKey(["raw", feed])).child_keys}
        frontier, seen = set(downstream), set()
        while frontier:
            key = frontier.pop()
            seen.add(key)
            frontier |= {c.to_user_string() for c in _node(graph, key).child_keys} - seen
        assert {f"destinations/{c}" for c in CONSUMER_EXPORTS} <= seen, f"raw/{feed} does not reach every destination"


def test_each_destination_reads_only_its_own_export(graph):
    for consumer, export in CONSUMER_EXPORTS.items():
        parents = {k.to_user_string() for k in _node(graph, f"destinations/{consumer}").parent_keys}
        assert parents == {f"exports/{export}", "completeness/day_verdicts"}


def test_every_layer_up_to_the_exports_is_daily_partitioned_with_a_single_run_backfill(graph):
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if key.path[0] == "destinations":
            assert node.partitions_def is None, "deliveries send the newest partition, they are not partitioned"
            continue
        assert isinstance(node.partitions_def, dg.DailyPartitionsDefinition), key
        assert node.backfill_policy == dg.BackfillPolicy.single_run(), key


def test_every_partitioned_dependency_maps_a_day_to_the_same_day(graph):
    """The mart reads 89 earlier days of orders, but declaring that as a partition mapping made a
    lineage-graph backfill of 7 days compute the 89 days after them too (a second run, far past the
    data): a day's run needs only its own day loaded, the earlier days are already there."""
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        for parent in node.parent_keys:
            mapping = node.partition_mappings.get(parent)
            assert mapping is None or isinstance(mapping, dg.IdentityPartitionMapping), f"{parent} -> {key}: {mapping}"


def test_dbt_tests_surface_as_asset_checks_on_their_models(graph):
    checked = {k.asset_key.to_user_string() for k in graph.asset_check_keys}
    assert "marts/top_items_not_carried" in checked
    assert "exports/exp_salesforce__store_recommendations" in checked


def test_every_check_says_what_it_checks(graph):
    """No "No description provided" in the UI: YAML's description, or the generic test's sentence."""
    specs = [graph.get_check_spec(k) for k in graph.asset_check_keys]
    assert all(s.description and "No description" not in s.description for s in specs), [
        s.key.to_user_string() for s in specs if not s.description]
    by_name = {s.key.name: s.description for s in specs}
    assert by_name["salesforce_export_grain_is_unique"] == "On each day, no two rows share (as_of_date, external_id)."
    assert by_name["daily_units_near_recent"].startswith("The day's total of quantity lies within 0.5x-2.0x")
    assert by_name["store_lists_change_near_normal"].startswith("Share of stores whose recommended items changed")


def test_the_committed_data_dictionary_and_column_lineage_are_current():
    from prod_pipelines.catalog.columns import LINEAGE_FILE
    from prod_pipelines.ops.column_lineage import render_lineage
    from prod_pipelines.ops.data_dictionary import TARGET, render

    hint = "run `prod-pipelines data-dictionary` and commit the result"
    assert LINEAGE_FILE.read_text() == render_lineage(), hint
    assert TARGET.read_text() == render(), hint


def test_importing_the_definitions_builds_nothing_and_a_prepared_manifest_starts_no_dbt(tmp_path):
    """A deployed image parses dbt at build time (`prod-pipelines prepare`); loading then runs no dbt process."""
    script = """
import warnings, dagster_dbt.core.resource as resource
from prod_pipelines import definitions
assert definitions._from_environment.cache_info().currsize == 0, "importing built the definitions"
def refuse(*args, **kwargs):
    raise AssertionError(f"a dbt process was started while loading: {args}")
resource.DbtCliResource.cli = refuse
defs = definitions.defs()
assert definitions.pipeline_job().partitions_def is not None
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    definitions.build_definitions(definitions.Settings.from_env())
assert not [w for w in caught if issubclass(w.category, dg.BetaWarning)], "the build lets Beta warnings out"
print("assets", len(defs.resolve_asset_graph().get_all_asset_keys()))
"""
    prepared = subprocess.run([sys.executable, "-m", "prod_pipelines.ops.cli", "prepare"], capture_output=True,
                              text=True, timeout=600)
    assert prepared.returncode == 0, prepared.stderr
    done = subprocess.run([sys.executable, "-c", "import dagster as dg\n" + script], capture_output=True, text=True,
                          timeout=600, env={**os.environ, "PROD_PIPELINES_DATA_DIR": str(tmp_path)})
    assert done.returncode == 0, done.stderr[-3000:]
    assert "assets 23" in done.stdout
