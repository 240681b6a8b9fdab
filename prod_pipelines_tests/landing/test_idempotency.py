"""Re-running a partition range changes nothing: same tables, same deliveries."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from prod_pipelines.warehouse import table_checksum
from prod_pipelines_tests.support.cli import backfilled_landing, run_cli
from prod_pipelines_tests.support.warehouse_state import query

START, END = date(2025, 3, 3), date(2025, 3, 16)
LAYERS = ("raw", "staging", "intermediate", "marts", "exports")


def warehouse_checksums(data_dir: Path) -> dict[str, tuple[int, str]]:
    conn = duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True)
    try:
        tables = conn.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            f"where table_schema in {LAYERS} order by 1").fetchall()
        return {name: table_checksum(conn, name if name != "raw.partition_loads" else
                                     "(select * exclude (loaded_at) from raw.partition_loads)") for (name,) in tables}
    finally:
        conn.close()


def delivered_files(data_dir: Path) -> dict[str, bytes]:
    root = data_dir / "destinations"
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def ledger_rows(data_dir: Path) -> int:
    return query(data_dir, "select count(*) from delivery.syncs")[0][0]


@pytest.fixture(scope="module")
def twice_run(tmp_path_factory):
    data_dir = backfilled_landing(tmp_path_factory, "idempotency", START, END)
    first = warehouse_checksums(data_dir), delivered_files(data_dir), ledger_rows(data_dir)
    run_cli("backfill", "--start", START.isoformat(), "--end", END.isoformat(), data_dir=data_dir, start_date=START)
    second = warehouse_checksums(data_dir), delivered_files(data_dir), ledger_rows(data_dir)
    return first, second


def test_every_layer_has_a_table_with_rows_after_the_first_run(twice_run):
    (checksums, _, _), _ = twice_run
    for layer in LAYERS:
        tables = {name: rows for name, (rows, _) in checksums.items() if name.startswith(f"{layer}.")}
        assert tables, f"no table in schema {layer}"
        assert any(rows > 0 for rows in tables.values()), f"every table of {layer} is empty: {tables}"


def test_running_the_same_range_twice_leaves_identical_tables(twice_run):
    (first, _, _), (second, _, _) = twice_run
    changed = {name: (first.get(name), second.get(name)) for name in first.keys() | second.keys()
               if first.get(name) != second.get(name)}
    assert not changed, f"tables changed on re-run: {changed}"


def test_running_the_same_range_twice_sends_nothing_new_to_consumers(twice_run):
    (_, files_first, ledger_first), (_, files_second, ledger_second) = twice_run
    assert files_first == files_second
    assert ledger_first == ledger_second == 3
