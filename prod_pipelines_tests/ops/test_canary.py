"""Canary: a changed dbt project is built for one day beside the main tables and compared with them."""

from __future__ import annotations

import json
import shutil
from datetime import date

import pytest

from prod_pipelines.producers.synthetic import generate_landing
from prod_pipelines.settings import DBT_PROJECT_DIR
from prod_pipelines_tests.support.cli import run_cli
from prod_pipelines_tests.support.warehouse_state import partition_digests

FIRST, DAY = date(2025, 1, 1), date(2025, 1, 20)


@pytest.fixture(scope="module")
def delivered(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("canary")
    generate_landing(data_dir, FIRST, DAY, scale=0.05)
    run_cli("backfill", "--start", FIRST.isoformat(), "--end", DAY.isoformat(), data_dir=data_dir, start_date=FIRST)
    return data_dir


def canary(data_dir, *extra: str) -> dict:
    done = run_cli("canary", "--date", DAY.isoformat(), "--format", "json", *extra, data_dir=data_dir, start_date=FIRST)
    return json.loads(done.stdout)


def test_the_unchanged_project_builds_an_identical_canary(delivered):
    diff = canary(delivered)
    mart = diff["marts.top_items_not_carried"]
    assert mart["main_rows"] == mart["canary_rows"] > 0
    assert all((d["keys_added"], d["keys_removed"], d["values_changed"]) == (0, 0, 0) for d in diff.values())


def test_a_changed_ranking_shows_its_difference_and_leaves_the_main_tables_alone(delivered, tmp_path):
    changed = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, changed, ignore=shutil.ignore_patterns("target", "logs"))
    settings = changed / "dbt_project.yml"
    settings.write_text(settings.read_text().replace("market_top_n: 25", "market_top_n: 10"))
    before = partition_digests(delivered)
    diff = canary(delivered, "--project-dir", str(changed))
    mart = diff["marts.top_items_not_carried"]
    assert mart["keys_removed"] > 0 and mart["keys_added"] == 0
    assert mart["canary_rows"] == mart["main_rows"] - mart["keys_removed"]
    assert {k: v for k, v in partition_digests(delivered).items() if not k[0].startswith("canary_")} == before
