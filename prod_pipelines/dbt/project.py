"""The dbt project as the pipeline reads it: where it is, and its manifest, parsed when stale and read once.

Model names, layers, window columns and consumers are read from here, never typed again in Python.
A deployed image parses at build time (`make install` runs `prod-pipelines prepare`), so loading
the definitions starts no dbt process; a working tree whose dbt files changed is parsed again.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

import yaml
from dagster_dbt import DbtCliResource, DbtProject

from prod_pipelines.compat import run_with_concurrent_update_guard
from prod_pipelines.settings import DBT_EXECUTABLE, DBT_PROJECT_DIR

DBT_PROJECT = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
LAYERS = ("staging", "intermediate", "marts", "exports")  # the folders under models/, in build order


def ensure_manifest(project: DbtProject = DBT_PROJECT) -> None:
    """Parses the dbt project when its manifest is missing (a fresh clone) or older than any dbt file."""
    if _manifest_is_stale(project):
        # The guard serialises concurrent parses (parallel test workers, CLI and UI starting together).
        run_with_concurrent_update_guard(project.manifest_path, _parse, project=project)
        manifest.cache_clear()


@cache
def manifest() -> dict[str, Any]:
    """The parsed manifest (`target/manifest.json`), read once per process."""
    ensure_manifest()
    return json.loads(DBT_PROJECT.manifest_path.read_text())


def layer_of(node: Mapping[str, Any]) -> str:
    """`staging`, `intermediate`, `marts` or `exports`: the folder a model lives in under models/."""
    return node["fqn"][1] if len(node["fqn"]) > 2 else "models"


def models(layers: tuple[str, ...] = LAYERS) -> Iterator[Mapping[str, Any]]:
    """The model nodes of `layers`, in build order (layer, then name)."""
    nodes = [n for n in manifest()["nodes"].values() if n["resource_type"] == "model" and layer_of(n) in layers]
    yield from sorted(nodes, key=lambda n: (layers.index(layer_of(n)), n["name"]))


def asset_path(node: Mapping[str, Any]) -> str:
    """`<layer>/<model>`, the model's asset key; a versioned model is keyed by its relation name (alias),
    so version 1 of an export keeps the unversioned key and `<export>_v2` gets its own asset."""
    return f"{layer_of(node)}/{node['alias'] if node.get('version') is not None else node['name']}"


def window_column(node: Mapping[str, Any]) -> str:
    """The column holding a model's as-of day, which a partition window replaces (`meta.window_column`)."""
    return node["config"]["meta"]["window_column"]


def _parse(project: DbtProject) -> None:
    dbt = DbtCliResource(project_dir=project, dbt_executable=DBT_EXECUTABLE)
    dbt.cli(["parse", "--quiet"], target_path=project.target_path).wait()


def _manifest_is_stale(project: DbtProject) -> bool:
    if not project.manifest_path.exists():
        return True
    built = project.manifest_path.stat().st_mtime
    sources = [project.project_dir / "dbt_project.yml", project.project_dir / "profiles.yml"]
    sources += [p for folder in ("models", "macros", "tests") for p in (project.project_dir / folder).rglob("*")
                if p.is_file()]
    return any(p.stat().st_mtime > built for p in sources if p.exists())


def grain(node: Mapping[str, Any]) -> list[str]:
    """The columns that identify a row of a model: those of its `unique_in_window` test."""
    for test in manifest()["nodes"].values():
        if (test["resource_type"] == "test" and test.get("attached_node") == node["unique_id"]
                and (test.get("test_metadata") or {}).get("name") == "unique_in_window"):
            return list(test["test_metadata"]["kwargs"]["columns"])
    raise ValueError(f"model {node['name']} declares no grain (a unique_in_window test)")


QUALITY_MODEL = "daily_data_quality"  # the dbt model with each day's candidate stores and recommendations


def served_models() -> dict[str, tuple[str, list[str]]]:
    """`schema.table` -> (window column, declared columns in order) of the models the pipeline reads
    from the DuckDB file whatever engine built them: the exports (deliveries) and the day's figures
    (the verdict). On Spark the window of each is copied there after `dbt run` (warehouses/serving.py)."""
    return {relation(n): (window_column(n), list(n["columns"])) for n in models()
            if layer_of(n) == "exports" or n["name"] == QUALITY_MODEL}


def relation(node: Mapping[str, Any]) -> str:
    """`schema.table` of a model in the warehouse."""
    return f"{node['schema']}.{node['alias']}"


def raw_source(table: str) -> Mapping[str, Any]:
    """The dbt source `raw.<table>`: the description and owner of the raw asset that loads it."""
    return manifest()["sources"][f"source.{manifest()['metadata']['project_name']}.raw.{table}"]


def platform_owner() -> str:
    """The team owning the landing contract (the raw source's `meta.owner`): it owns completeness too."""
    raw = next(s for s in manifest()["sources"].values() if s["source_name"] == "raw")
    return raw["source_meta"]["owner"]


@cache
def vars_declared() -> Mapping[str, Any]:
    """The project's `vars` in dbt_project.yml: the one home of the business constants (the sales window, top N)."""
    return yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"]


def sales_window_days() -> int:
    """How many days of orders rank a market (`vars.sales_window_days`)."""
    return int(vars_declared()["sales_window_days"])
