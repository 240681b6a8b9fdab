"""Every dbt command line the project runs: the pipeline's (through dagster-dbt) and the operator
tools' (a subprocess: compiled SQL, a saved state, state comparison, the canary, the benchmark).

A subprocess writes into its own target and log directory, never `dbt_project/target`: that
manifest belongs to the Dagster code location (dbt/project.py), and a running UI or test run must
not see it change under its feet. Nothing here opens the warehouse by itself: `compile` gets an
in-memory DuckDB through the `warehouse_path` var, `parse` and `ls` connect to nothing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import dagster as dg

from prod_pipelines.partitions import dbt_vars
from prod_pipelines.settings import DBT_EXECUTABLE, DBT_PROJECT_DIR, process_env

STATE_MANIFEST = "manifest.json"
# What a subset of the window's selection excludes or includes, per command.
_SELECTION = {"build": ["--exclude-resource-type", "unit_test"], "run": [],
              "test": ["--exclude-resource-type", "unit_test", "--indirect-selection", "cautious"]}


def dbt_cli_args(window: dg.TimeWindow, warehouse_path: str, command: str = "build", **extra_vars: str) -> list[str]:
    """`dbt <command>` for one partition window: the window, the warehouse (and any `extra_vars`) reach dbt as vars.

    `test` runs only the tests whose every parent is selected (cautious indirect selection): a
    subset of models never runs a test that reads a model outside it.
    """
    return [command, *_SELECTION[command],
            "--vars", json.dumps({**dbt_vars(window), "warehouse_path": warehouse_path, **extra_vars})]


def subprocess_command(args: list[str], project_dir: Path, target_dir: Path) -> list[str]:
    """The full `dbt <args>` command line on `project_dir`, its artifacts and logs in `target_dir`."""
    return [DBT_EXECUTABLE, *args, "--project-dir", str(project_dir), "--profiles-dir", str(project_dir),
            "--target-path", str(target_dir), "--log-path", str(target_dir / "logs")]


def run_dbt(args: list[str], project_dir: Path, target_dir: Path) -> str:
    """`dbt <args>` on `project_dir` with its artifacts in `target_dir`; stdout, or an error with dbt's words."""
    done = subprocess.run(subprocess_command(args, project_dir, target_dir), cwd=project_dir, env=process_env(),
                          capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise RuntimeError(f"dbt {args[0]} failed in {project_dir} (exit {done.returncode}):\n"
                           f"{(done.stdout + done.stderr)[-3000:]}")
    return done.stdout


def compiled_manifest(project_dir: Path = DBT_PROJECT_DIR) -> dict:
    """The manifest after `dbt compile`: `dbt parse` leaves `compiled_code` empty, compile fills it."""
    with tempfile.TemporaryDirectory(prefix="impact-compile-") as target:
        run_dbt(["compile", "--quiet", "--vars", json.dumps({"warehouse_path": ":memory:"})],
                project_dir, Path(target))
        return json.loads((Path(target) / STATE_MANIFEST).read_text())


def save_state(state_dir: Path, project_dir: Path = DBT_PROJECT_DIR) -> Path:
    """Writes the project's parsed manifest to `state_dir`: the baseline `--changed` compares with.

    In CI, run it on the base branch (or keep the manifest of the last deploy) and pass the folder
    as `--state` on the pull request.
    """
    state_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="impact-state-") as target:
        run_dbt(["parse", "--quiet"], project_dir, Path(target))
        shutil.copyfile(Path(target) / STATE_MANIFEST, state_dir / STATE_MANIFEST)
    return state_dir / STATE_MANIFEST


def changed_models(state_dir: Path, project_dir: Path = DBT_PROJECT_DIR) -> list[dict]:
    """The models and sources that dbt's state comparison finds modified against `state_dir`.

    `state:modified` (not `state:modified+`): the downstream closure comes from the Dagster asset
    graph, which, unlike dbt's, also holds the delivery assets. Returns manifest nodes (with `fqn`,
    `resource_type`, `name`, `source_name`) so callers can map them to asset keys.
    """
    if not (state_dir / STATE_MANIFEST).exists():
        raise FileNotFoundError(f"no {STATE_MANIFEST} in {state_dir}: save one with `impact --save-state {state_dir}`")
    with tempfile.TemporaryDirectory(prefix="impact-ls-") as target:
        listed = run_dbt(["ls", "--quiet", "--select", "state:modified", "--state", str(state_dir),
                          "--resource-type", "model", "--resource-type", "source", "--output", "json",
                          "--output-keys", "unique_id"], project_dir, Path(target))
        manifest = json.loads((Path(target) / STATE_MANIFEST).read_text())
    ids = [json.loads(line)["unique_id"] for line in listed.splitlines() if line.startswith("{")]
    nodes = {**manifest["nodes"], **manifest["sources"]}
    return [nodes[unique_id] for unique_id in sorted(ids)]


def docs_site(warehouse: Path, out_dir: Path, project_dir: Path = DBT_PROJECT_DIR) -> Path:
    """Builds dbt's documentation site offline into `out_dir` and returns its single-page file.

    Column types come from the warehouse's catalog when the warehouse exists (after a run); without
    one the catalog is left empty and the site still shows every model, column and test.
    """
    if out_dir.exists():
        shutil.rmtree(out_dir)
    found = warehouse.exists()  # without one, dbt gets an in-memory DuckDB rather than creating the file
    catalog = [] if found else ["--empty-catalog"]
    variables = json.dumps({"warehouse_path": str(warehouse) if found else ":memory:"})
    run_dbt(["docs", "generate", "--static", "--quiet", *catalog, "--vars", variables], project_dir, out_dir)
    return out_dir / "static_index.html"
