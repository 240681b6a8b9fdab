"""The manifest a change is compared against: a saved `manifest.json`, or the dbt project at a git revision.

CI compares a change with what is deployed (`prod-pipelines contracts --against origin/main`); a
revision is read with `git archive` into a temporary folder and parsed there, so the working tree
and its `target/` are never touched.
"""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from prod_pipelines.dbt.commands import run_dbt
from prod_pipelines.settings import DBT_PROJECT_DIR, REPO_ROOT


def baseline_manifest(against: str) -> dict[str, Any]:
    """The manifest at `against`: a manifest.json, a folder holding one, or a git revision of this repository."""
    path = Path(against)
    if path.is_dir():
        path = path / "manifest.json"
    if path.is_file():
        return json.loads(path.read_text())
    return _manifest_at_revision(against)


def _manifest_at_revision(revision: str) -> dict[str, Any]:
    project = DBT_PROJECT_DIR.relative_to(REPO_ROOT).as_posix()
    archive = subprocess.run(["git", "-C", str(REPO_ROOT), "archive", "--format=tar", revision, project],
                             capture_output=True)
    if archive.returncode != 0:
        raise ValueError(f"--against {revision}: neither a manifest.json nor a git revision holding {project}/ "
                         f"({archive.stderr.decode().strip()})")
    with tempfile.TemporaryDirectory(prefix="baseline-") as folder:
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(folder, filter="data")
        root = Path(folder) / project
        try:
            run_dbt(["parse", "--quiet"], root, root / "target")
        except RuntimeError as error:
            raise ValueError(f"the dbt project at {revision} does not parse: {error}") from None
        return json.loads((root / "target" / "manifest.json").read_text())
