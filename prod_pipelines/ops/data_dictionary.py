"""docs/data-dictionary.md, generated from the dbt manifest: every model's grain, columns and checks."""

from __future__ import annotations

from prod_pipelines.catalog.columns import LINEAGE_FILE, column_schema, load_lineage
from prod_pipelines.dbt import project
from prod_pipelines.landing.contracts import CONTRACTS
from prod_pipelines.ops.column_lineage import render_lineage
from prod_pipelines.settings import REPO_ROOT

TARGET = REPO_ROOT / "docs" / "data-dictionary.md"


def render() -> str:
    nodes = project.manifest()["nodes"].values()
    tests_by_model: dict[str, list[str]] = {}
    for test in (n for n in nodes if n["resource_type"] == "test"):
        for parent in test["depends_on"]["nodes"][:1]:
            tests_by_model.setdefault(parent, []).append(test["name"])
    lines = ["# Data dictionary", "",
             "Generated from the dbt manifest by `prod-pipelines data-dictionary`; do not edit by hand.", "",
             "## raw (landing contract, spec §1)", ""]
    for contract in CONTRACTS.values():
        columns = ", ".join(f"`{c.name}` {c.kind}{'' if c.nullable else ' not null'}" for c in contract.columns)
        lines += [f"- **raw.{contract.feed}**: {columns}; unique `{' + '.join(contract.unique)}`; plus `dt`, "
                  "`_source_file`, `_row_number`", ""]
    for layer in project.LAYERS:
        lines += [f"## {layer}", ""]
        for node in project.models((layer,)):
            meta = node["config"].get("meta", {})
            lines += [f"### {project.relation(node)}", "", " ".join(node["description"].split()), ""]
            owner = meta.get("owner", "")
            consumer = meta.get("consumer")
            lines += [f"Owner: {owner}" + (f"; consumer: {consumer['name']} ({consumer['destination']}, "
                                           f"{consumer['sla']})" if consumer else "") + _version_note(node), ""]
            schema = column_schema(project.asset_path(node), node["columns"])
            if schema is not None:
                lines += ["| column | type | description |", "|---|---|---|"]
                lines += [f"| `{c.name}` | {c.type} | {' '.join((c.description or '').split())} |"
                          for c in schema.columns]
                lines.append("")
            checks = sorted(tests_by_model.get(node["unique_id"], []))
            if checks:
                lines += [f"Checks: {', '.join(f'`{t}`' for t in checks)}", ""]
    return "\n".join(lines).rstrip() + "\n"


def _version_note(node: dict) -> str:
    """For a versioned export: its version, the latest, and the version its consumer is pinned to."""
    if node.get("version") is None:
        return ""
    pinned = (node["config"].get("meta", {}).get("consumer") or {}).get("version")
    retired = f", retires on {str(node['deprecation_date'])[:10]}" if node.get("deprecation_date") else ""
    return (f"; version {node['version']} of {node['name']} (latest: v{node['latest_version']}; "
            f"consumer pinned to v{pinned}{retired})")


def write() -> None:
    """Writes the catalog's column lineage, then the dictionary that reads it."""
    LINEAGE_FILE.write_text(render_lineage())
    load_lineage.cache_clear()
    TARGET.write_text(render())
