"""Impact reports as text: a tree for people, JSON for CI (same content, `--format json`)."""

from __future__ import annotations

import json


def render(report: dict, fmt: str, *, kind: str) -> str:
    if fmt == "json":
        return json.dumps(report, indent=2)
    if fmt != "tree":
        raise ValueError(f"unknown format {fmt!r}: tree or json")
    return "\n".join(_column_tree(report) if kind == "column" else _asset_tree(report))


def consumer_line(consumer: dict) -> str:
    owners = ", ".join(consumer["owners"]) or "no owner"
    return (f"{consumer['consumer']}: owner {owners}, destination {consumer['destination']}, "
            f"SLA {consumer['sla'] or 'none'} (from {', '.join(consumer['exports'])})")


def _asset_tree(report: dict) -> list[str]:
    lines = [f"impact of {report['target']}"]
    if "changed" in report:
        lines.append(f"changed: {', '.join(report['changed']) or 'nothing'}")
    details = {d["asset"]: d for d in [*report["roots"], *report["downstream"]]}
    consumers = {c["asset"]: c for c in report["consumers"]}
    shown: set[str] = set()
    for root in report["roots"]:
        lines += _branch(root["asset"], report["edges"], details, consumers, shown, prefix="", last=True, top=True)
    lines.append(f"asset checks ({len(report['checks'])}):")
    by_asset: dict[str, list[str]] = {}
    for check in report["checks"]:
        asset, _, name = check.partition(":")
        by_asset.setdefault(asset, []).append(name)
    lines += [f"  {asset}: {', '.join(names)}" for asset, names in by_asset.items()] or ["  none"]
    lines.append(f"exports ({len(report['exports'])}): {', '.join(report['exports']) or 'none'}")
    lines.append(f"consumers ({len(report['consumers'])}):")
    lines += [f"  {consumer_line(c)}" for c in report["consumers"]] or ["  none"]
    return lines


def _branch(asset: str, edges: dict, details: dict, consumers: dict, shown: set, *, prefix: str, last: bool,
            top: bool = False) -> list[str]:
    """One node and its children; a node reached twice (a diamond) is printed once, then referred to."""
    label = asset + _annotation(asset, details, consumers)
    if asset in shown:
        label = f"{asset} (see above)"
    line = label if top else f"{prefix}{'└── ' if last else '├── '}{label}"
    if asset in shown:
        return [line]
    shown.add(asset)
    children = edges.get(asset, [])
    inner = "" if top else prefix + ("    " if last else "│   ")
    lines = [line]
    for i, child in enumerate(children):
        lines += _branch(child, edges, details, consumers, shown, prefix=inner, last=i == len(children) - 1)
    return lines


def _annotation(asset: str, details: dict, consumers: dict) -> str:
    if asset in consumers:
        c = consumers[asset]
        return f"  [consumer {c['consumer']}: {', '.join(c['owners'])}, {c['destination']}, SLA {c['sla']}]"
    node = details.get(asset)
    if not node:
        return ""
    checks = f", {len(node['checks'])} checks" if node["checks"] else ""
    return f"  [{', '.join(node['owners']) or 'no owner'}{checks}]"


def _column_tree(report: dict) -> list[str]:
    lines = [f"impact of column {report['target']}", "values derived from it (flows into):"]
    lines += [f"  {asset}: {', '.join(columns)}" for asset, columns in report["flows_into"].items()] or ["  none"]
    lines.append("rows decided by it (filter, join or group by; no value derived):")
    lines += [f"  {asset} via {', '.join(via)}" for asset, via in report["decides_rows_of"].items()] or ["  none"]
    lines.append(f"rows affected downstream: {', '.join(report['rows_affected']) or 'none'}")
    lines.append("export columns derived from it:")
    exports = report["export_columns"].items()
    lines += [f"  {export}: {', '.join(cols) or 'none (rows only)'}" for export, cols in exports] or ["  none"]
    lines.append(f"consumers affected ({len(report['consumers'])}):")
    lines += [f"  {consumer_line(c)}; impact: {c['impact']}" for c in report["consumers"]] or ["  none"]
    return lines
