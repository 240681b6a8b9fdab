"""`prod-pipelines docs` (`make docs`): the dbt documentation site, built offline."""

from __future__ import annotations

from datetime import date

from prod_pipelines_tests.support.cli import run_cli


def test_the_dbt_docs_site_builds_offline_without_a_warehouse(tmp_path):
    done = run_cli("docs", data_dir=tmp_path, start_date=date(2025, 1, 1))
    page = tmp_path / "dbt-docs" / "static_index.html"
    assert f"open {page}" in done.stdout
    text = page.read_text()
    assert "exp_crm__weekly_email" in text and "top_items_not_carried" in text
    assert not (tmp_path / "warehouse.duckdb").exists(), "building the docs must not create a warehouse"
