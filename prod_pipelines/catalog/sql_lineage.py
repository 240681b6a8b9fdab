"""Column lineage of the dbt models, read from their compiled SQL with sqlglot.

A column reaches a model in one of two ways, and impact analysis must tell them apart:

- it *flows into* an output column when its value is part of that column's expression (renamed,
  cast, summed, ranked: `stg_orders.quantity` -> `units_l90` -> `market_units_l90`);
- it *decides rows* when it only appears in a filter, join, group-by or anti join: no output value
  is derived from it, but which rows exist (and so row numbers over them) depends on it
  (`stg_inventory.on_hand_qty` in `carried ... where on_hand_qty > 0`).

Every model is parsed once, in dependency order, so `select *` expands to the columns its parents
were found to have; sources get their columns from the raw assets' declared schema.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.lineage import lineage, to_node
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, build_scope
from sqlglot.schema import MappingSchema

DIALECT = "duckdb"
Col = tuple[str, str]  # (asset key as "layer/name", column)


@dataclass(frozen=True)
class ModelLineage:
    """One model: where each output column's value comes from, and which columns decide its rows."""

    asset: str
    columns: Mapping[str, frozenset[Col]]
    row_deciders: frozenset[Col]


@dataclass
class ColumnTrace:
    """Everything downstream of one column, model by model."""

    flows_into: dict[str, list[str]] = field(default_factory=dict)  # asset -> its columns derived from it
    decides_rows_of: dict[str, list[str]] = field(default_factory=dict)  # asset -> the derived columns it filters on


def model_lineage(manifest: dict, asset_of: Mapping[str, str], source_columns: Mapping[str, list[str]]
                  ) -> dict[str, ModelLineage]:
    """Lineage of every model with compiled SQL. `asset_of` maps dbt unique ids to asset keys."""
    relations = {_relation(node): asset_of[uid] for uid, node in {**manifest["nodes"], **manifest["sources"]}.items()
                 if uid in asset_of}
    schema: dict[str, dict[str, dict[str, str]]] = {}
    for relation, asset in relations.items():
        if asset in source_columns:
            schema.setdefault(relation[0], {})[relation[1]] = {c: "unknown" for c in source_columns[asset]}
    found = {}
    for uid in dependency_order(manifest):
        node = manifest["nodes"][uid]
        if not node.get("compiled_code") or uid not in asset_of:
            continue
        try:
            found[asset_of[uid]] = _one_model(asset_of[uid], node["compiled_code"], schema, relations)
        except sqlglot.errors.SqlglotError as error:
            raise ValueError(f"cannot derive column lineage of {uid}: {error}") from error
        schema.setdefault(node["schema"], {})[node["alias"]] = {c: "unknown" for c in found[asset_of[uid]].columns}
    return found


def trace(models: Mapping[str, ModelLineage], asset: str, column: str) -> ColumnTrace:
    """Follows one column through the models (given in dependency order)."""
    reached: set[Col] = {(asset, column)}
    result = ColumnTrace()
    for model in models.values():
        derived = sorted(out for out, sources in model.columns.items() if sources & reached)
        reached |= {(model.asset, out) for out in derived}
        if derived:
            result.flows_into[model.asset] = derived
        deciders = model.row_deciders & reached
        if deciders:
            result.decides_rows_of[model.asset] = sorted(f"{a}.{c}" for a, c in deciders)
    return result


def _one_model(asset: str, sql: str, schema: dict, relations: Mapping[tuple[str, str], str]) -> ModelLineage:
    tree = sqlglot.parse_one(sql, dialect=DIALECT)
    for table in tree.find_all(exp.Table):
        table.set("catalog", None)  # compiled against whatever database the compile connected to
    mapping = MappingSchema(schema, dialect=DIALECT)
    qualified = qualify(tree, schema=mapping, dialect=DIALECT, validate_qualify_columns=False)
    root = build_scope(qualified)
    columns = {}
    for name in qualified.named_selects:
        node = lineage(name, qualified, schema=mapping, dialect=DIALECT, scope=root)
        columns[name] = frozenset(_leaves(node, relations))
    return ModelLineage(asset, columns, frozenset(_row_deciders(root, mapping, relations)))


def _row_deciders(root: Scope, schema: MappingSchema, relations: Mapping[tuple[str, str], str]) -> set[Col]:
    """Upstream columns referenced outside any projection: in where, join, group by, having, qualify."""
    found: set[Col] = set()
    for scope in root.traverse():
        select = scope.expression
        projected = {id(c) for p in select.expressions for c in p.find_all(exp.Column)} \
            if isinstance(select, exp.Select) else set()
        for column in scope.columns:
            if id(column) in projected:
                continue
            source = scope.sources.get(column.table)
            if isinstance(source, exp.Table):
                asset = relations.get((source.db, source.name))
                if asset:
                    found.add((asset, column.name))
            elif isinstance(source, Scope):
                found |= _leaves(to_node(column.name, source, DIALECT, schema), relations)
    return found


def _leaves(node, relations: Mapping[tuple[str, str], str]) -> set[Col]:
    leaves = set()
    for step in node.walk():
        if isinstance(step.source, exp.Table):
            asset = relations.get((step.source.db, step.source.name))
            if asset:
                leaves.add((asset, exp.to_column(step.name).name))
    return leaves


def _relation(node: dict) -> tuple[str, str]:
    return node["schema"], node.get("alias") or node.get("identifier") or node["name"]


def dependency_order(manifest: dict) -> list[str]:
    """The model ids of `manifest`, each after the models it selects from."""
    order: list[str] = []
    seen: set[str] = set()

    def visit(uid: str) -> None:
        if uid in seen or uid not in manifest["nodes"]:
            return
        seen.add(uid)
        for parent in manifest["nodes"][uid].get("depends_on", {}).get("nodes", []):
            visit(parent)
        order.append(uid)

    for uid in sorted(manifest["nodes"]):
        if manifest["nodes"][uid]["resource_type"] == "model":
            visit(uid)
    return [uid for uid in order if manifest["nodes"][uid]["resource_type"] == "model"]
