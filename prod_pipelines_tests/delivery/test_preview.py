"""`prod-pipelines deliver --dry-run`: the plan a delivery would carry out, shown and not carried out.

The case an operator meets: the blast-radius guard refused a day. The preview names the day, the
refusal, and the rows each consumer would see created, updated and deleted, which the test counts
again from what the consumer holds and what the export holds; nothing is sent or recorded.
"""

from __future__ import annotations

import json
from datetime import date

import pyarrow.parquet as pq
import pytest

from prod_pipelines.producers.synthetic import generate_landing
from prod_pipelines_tests.support.cli import run_cli
from prod_pipelines_tests.support.warehouse_state import query

FIRST, HELD, LAST = date(2025, 3, 3), date(2025, 3, 4), date(2025, 3, 6)


@pytest.fixture(scope="module")
def refused(tmp_path_factory):
    """Delivered up to HELD; the run of the next two days was refused by the guard for two consumers."""
    data_dir = tmp_path_factory.mktemp("preview")
    generate_landing(data_dir, FIRST, LAST, scale=0.02)
    run_cli("backfill", "--start", FIRST.isoformat(), "--end", HELD.isoformat(), "--approve-large-change", "all",
            data_dir=data_dir, start_date=FIRST)
    done = run_cli("backfill", "--start", "2025-03-05", "--end", LAST.isoformat(), data_dir=data_dir,
                   start_date=FIRST, check=False)
    assert done.returncode != 0 and "refused a sync" in done.stderr, done.stderr[-2000:]
    return data_dir


def dry_run(data_dir, *extra: str) -> str:
    return run_cli("deliver", "--dry-run", *extra, data_dir=data_dir, start_date=FIRST).stdout


def state(data_dir) -> tuple:
    files = sorted(p.relative_to(data_dir) for p in (data_dir / "destinations").rglob("*"))
    return query(data_dir, "select count(*), max(finished_at) from delivery.syncs"), files


def test_the_plan_counts_what_the_consumer_would_see_and_why_it_was_refused(refused):
    before = state(refused)
    plans = {p["consumer"]: p for p in json.loads(dry_run(refused, "--format", "json"))}
    app = plans["retailer_app"]
    assert app["partition"] == LAST.isoformat() and app["action"].startswith("refuse: would replace")
    held = pq.read_table(refused / "destinations" / "retailer_app" / f"dt={HELD}" / "part-0.parquet").to_pylist()
    new = query(refused, "select store_id, sku_id, rank from exports.exp_retailer_app__top_items "
                         "where as_of_date = ?", [LAST])
    old_keys, new_keys = {(r["store_id"], r["sku_id"]) for r in held}, {(s, k) for s, k, _ in new}
    assert (app["created"], app["deleted"]) == (len(new_keys - old_keys), len(old_keys - new_keys))
    assert app["updated"] == len(new_keys & old_keys)  # a kept item of a new day: its as_of_date changes
    assert app["rows"] == len(new) and len(app["samples"]["created"]) == min(3, app["created"])
    assert all((s["store_id"], s["sku_id"]) in new_keys - old_keys for s in app["samples"]["created"])
    assert plans["crm_email"]["action"] == "skip: unchanged since the last sync"  # its Monday was sent
    assert state(refused) == before, "a dry run changed the ledger or a destination"


def test_with_approval_the_plan_is_to_send_and_the_text_names_export_version_and_day(refused):
    text = dry_run(refused, "--approve-large-change", "all")
    assert f"retailer_app (exp_retailer_app__top_items v1, {LAST}," in text
    assert "): send" in text and "refuse" not in text
    assert "refuse" in dry_run(refused, "--approve-large-change", "salesforce")  # only the one named
