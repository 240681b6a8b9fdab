"""Impact analysis: what is downstream of an asset, a column or a change, and which consumers it reaches.

Everything is read from the one `Definitions` (asset graph, checks, owners) and the dbt manifest:
no list of models or consumers is typed here. A consumer is a delivery asset: it declares its
`destination` and `sla` in its metadata and its owner in `owners` (assets/destinations.py).

    prod-pipelines impact raw/inventory                     # models, checks, exports, consumers
    prod-pipelines impact raw/inventory.on_hand_qty         # column level
    prod-pipelines impact --changed --state state/          # models changed in the working tree
    prod-pipelines impact --save-state state/               # the baseline, on the base branch
"""

from __future__ import annotations

import argparse
import sys
from functools import lru_cache
from pathlib import Path

import dagster as dg

from prod_pipelines import definitions
from prod_pipelines.catalog.sql_lineage import trace
from prod_pipelines.dbt.commands import changed_models, save_state
from prod_pipelines.dbt.translator import asset_key_of
from prod_pipelines.ops.column_lineage import models_lineage, source_columns
from prod_pipelines.ops.impact_render import render
from prod_pipelines.settings import DBT_PROJECT_DIR

__all__ = ["changed_models", "impact", "impact_changed", "main_impact"]


@lru_cache(maxsize=1)
def _graph():
    return definitions.defs().resolve_asset_graph()


def resolve_key(name: str) -> dg.AssetKey:
    """`raw/inventory`, or a bare model name such as `stg_orders` when it names one asset."""
    keys = _graph().get_all_asset_keys()
    key = dg.AssetKey.from_user_string(name)
    if key in keys:
        return key
    matches = [k for k in keys if "/" not in name and k.path[-1] == name]
    if len(matches) != 1:
        raise ValueError(f"unknown asset {name!r}; known: {', '.join(sorted(k.to_user_string() for k in keys))}")
    return matches[0]


def asset_impact(roots: list[dg.AssetKey]) -> dict:
    """Every asset downstream of `roots`, the asset checks on them, the exports and the consumers.

    The roots' own checks are included: a change to an asset is first seen by its checks."""
    graph = _graph()
    below = _descendants(roots) - set(roots)
    order = {key: i for i, key in enumerate(graph.toposorted_asset_keys)}
    affected = sorted([*roots, *below], key=lambda k: order[k])
    consumers = [_consumer(graph.get(k)) for k in affected if _is_consumer(graph.get(k))]
    return {
        "roots": [_describe(graph.get(k)) for k in roots],
        "downstream": [_describe(graph.get(k)) for k in sorted(below, key=lambda k: order[k])],
        "edges": {k.to_user_string(): sorted(c.to_user_string() for c in graph.get(k).child_keys
                                             if _feeds(graph.get(k), graph.get(c))) for k in affected},
        "checks": sorted(f"{c.asset_key.to_user_string()}:{c.name}" for k in affected for c in graph.get(k).check_keys),
        "exports": sorted({e for c in consumers for e in c["exports"] if dg.AssetKey.from_user_string(e) in affected}),
        "consumers": consumers,
    }


def column_impact(key: dg.AssetKey, column: str) -> dict:
    """Which model and export columns derive from `key.column`, which models it filters, whom it reaches."""
    models, asset = models_lineage(), key.to_user_string()
    known = list(models[asset].columns) if asset in models else source_columns().get(asset, [])
    if column not in known:
        raise ValueError(f"{asset} has no column {column!r}; known: {', '.join(known) or 'none (not a table)'}")
    traced = trace(models, asset, column)
    filtered = [dg.AssetKey.from_user_string(a) for a in traced.decides_rows_of]
    valued = [dg.AssetKey.from_user_string(a) for a in traced.flows_into]
    below = asset_impact(filtered)
    rows_affected = _in_graph_order([d["asset"] for d in [*below["roots"], *below["downstream"]]])
    consumers = []
    for consumer in asset_impact(valued + filtered)["consumers"]:
        columns = {e: traced.flows_into.get(e, []) for e in consumer["exports"]}
        how = "values" if any(columns.values()) else "rows" if set(columns) & set(rows_affected) else None
        if how:
            consumers.append({**consumer, "export_columns": columns, "impact": how})
    return {
        "target": f"{asset}.{column}",
        "flows_into": traced.flows_into,
        "decides_rows_of": traced.decides_rows_of,
        "rows_affected": rows_affected,
        "export_columns": {e: cols for c in consumers for e, cols in c["export_columns"].items()},
        "consumers": consumers,
    }


def impact(target: str, *, fmt: str = "tree") -> str:
    """The impact of an asset (`raw/inventory`) or of one of its columns (`raw/inventory.on_hand_qty`)."""
    name, _, column = target.partition(".")
    key = resolve_key(name)
    if column:
        return render(column_impact(key, column), fmt, kind="column")
    return render({"target": key.to_user_string(), **asset_impact([key])}, fmt, kind="asset")


def impact_changed(state_dir: Path, *, fmt: str = "tree", project_dir: Path = DBT_PROJECT_DIR) -> str:
    """The impact of the dbt models changed in `project_dir` compared with the manifest in `state_dir`."""
    changed = [asset_key_of(node) for node in changed_models(state_dir, project_dir)]
    report = asset_impact([k for k in changed if _graph().has(k)])
    header = {"target": f"the models changed against {state_dir}", "changed": [k.to_user_string() for k in changed]}
    return render({**header, **report}, fmt, kind="asset")


def main_impact(argv: list[str]) -> int:
    """`prod-pipelines impact ...`: prints the report; 2 with a message for an unknown asset or column."""
    parser = argparse.ArgumentParser(prog="prod-pipelines impact", description=__doc__.splitlines()[0])
    parser.add_argument("target", nargs="?",
                        help="asset key (raw/inventory) or asset key.column (raw/inventory.on_hand_qty)")
    parser.add_argument("--format", choices=["tree", "json"], default="tree", dest="fmt")
    parser.add_argument("--changed", action="store_true", help="impact of the dbt models changed against --state")
    parser.add_argument("--state", type=Path, help="folder holding the baseline manifest.json (see --save-state)")
    parser.add_argument("--save-state", type=Path, metavar="DIR",
                        help="write the current manifest.json to DIR (the baseline for --changed) and exit")
    args = parser.parse_args(argv)
    try:
        if args.save_state:
            print(f"saved {save_state(args.save_state)}")
        elif args.changed:
            if not args.state:
                parser.error("--changed needs --state DIR (a manifest.json saved with --save-state)")
            print(impact_changed(args.state, fmt=args.fmt))
        elif args.target:
            print(impact(args.target, fmt=args.fmt))
        else:
            parser.error("give an asset key, an asset key.column, --changed or --save-state")
    except (ValueError, FileNotFoundError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


def _descendants(roots: list[dg.AssetKey]) -> set[dg.AssetKey]:
    graph, seen, stack = _graph(), set(), list(roots)
    while stack:
        for child in graph.get(stack.pop()).child_keys:
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return seen


def _in_graph_order(assets: list[str]) -> list[str]:
    order = {key.to_user_string(): i for i, key in enumerate(_graph().toposorted_asset_keys)}
    return sorted(set(assets), key=order.__getitem__)


def _feeds(parent, child) -> bool:
    """A consumer is fed by its export; its other parent, the day verdict, only gates which day it gets."""
    return not _is_consumer(child) or parent.key.to_user_string() == str(child.metadata["export"])


def _is_consumer(node) -> bool:
    return "destination" in node.metadata and "sla" in node.metadata


def _consumer(node) -> dict:
    return {"consumer": node.tags.get("consumer", node.key.path[-1]), "asset": node.key.to_user_string(),
            "owners": list(node.owners), "destination": str(node.metadata["destination"]),
            "sla": str(node.metadata["sla"]),
            "exports": sorted(p.to_user_string() for p in node.parent_keys
                              if p.to_user_string() == str(node.metadata["export"]))}


def _describe(node) -> dict:
    return {"asset": node.key.to_user_string(), "group": node.group_name, "owners": list(node.owners),
            "kinds": sorted(node.kinds), "checks": sorted(c.name for c in node.check_keys)}
