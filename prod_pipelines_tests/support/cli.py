"""Run the real CLI (the user's path) on a data dir, in a fresh process."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from prod_pipelines.producers.synthetic import generate_landing
from prod_pipelines.settings import DATA_DIR_VAR, REPO_ROOT, START_DATE_VAR


def cli_env(data_dir: Path, start_date: date) -> dict[str, str]:
    return {**os.environ, DATA_DIR_VAR: str(data_dir), START_DATE_VAR: start_date.isoformat(), "DO_NOT_TRACK": "1"}


def run_cli(*args: str, data_dir: Path, start_date: date, check: bool = True,
            env: dict[str, str] | None = None, checkout: Path | None = None) -> subprocess.CompletedProcess:
    """`prod-pipelines <args>` in a fresh process, as a user would run it; with `checkout`, the code and
    dbt project of that copy of the repository (see `copy_checkout`) instead of this one."""
    code = {"PYTHONPATH": str(checkout)} if checkout else {}
    done = subprocess.run([sys.executable, "-m", "prod_pipelines.ops.cli", *args],
                          env={**cli_env(data_dir, start_date), **code, **(env or {})}, cwd=checkout,
                          capture_output=True, text=True, timeout=1800)
    if check and done.returncode != 0:
        pytest.fail(f"prod-pipelines {' '.join(args)} exited {done.returncode}:\n{done.stderr[-4000:]}")
    return done


def copy_checkout(destination: Path) -> Path:
    """A copy of the package, the dbt project and the workspace (which names the code location runs
    are filed under), as a developer's working tree to change and run."""
    skip = shutil.ignore_patterns("target", "logs", "__pycache__", "dbt_packages")
    for part in ("prod_pipelines", "dbt_project"):
        shutil.copytree(REPO_ROOT / part, destination / part, ignore=skip)
    shutil.copyfile(REPO_ROOT / "workspace.yaml", destination / "workspace.yaml")
    return destination


def backfilled_landing(tmp_path_factory, name: str, start: date, end: date, scale: float = 0.02) -> Path:
    """A data dir with a synthetic landing zone for [start, end], run end to end by one `backfill`."""
    data_dir = tmp_path_factory.mktemp(name)
    generate_landing(data_dir, start, end, scale=scale)
    run_cli("backfill", "--start", start.isoformat(), "--end", end.isoformat(), data_dir=data_dir, start_date=start)
    return data_dir
