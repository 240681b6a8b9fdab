"""The contract's two forms agree: `prod-pipelines validate` (pandera) and the pipeline's load (SQL).

For each feed, one partition holds a good row and, for every rule the contract declares, a row
breaking it; both forms must reject exactly the same rows with the same rule, column and value,
and every declared rule must be broken at least once (a new rule without a case here fails).
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from prod_pipelines.landing.contracts import CONTRACTS, DUPLICATE, NOT_NULLABLE, ON_PARTITION_DAY, Contract
from prod_pipelines.landing.loader import ensure_tables, load_partition
from prod_pipelines.landing.zone import LandingError
from prod_pipelines.ops import validate
from prod_pipelines.ops.cli import main

DAY = date(2025, 2, 3)
GOOD = {
    "stores": {"store_id": "S1", "store_name": "Corner", "market_id": "M1", "license_type": "full",
               "is_active": "true"},
    "products": {"sku_id": "K1", "sku_name": "Gin", "category": "spirits", "volume_ml": "750",
                 "seasonal_months": "11,12"},
    "orders": {"order_id": "o1", "line_number": "1", "store_id": "S1", "sku_id": "K1", "quantity": "2",
               "line_amount": "20.00", "ordered_at": f"{DAY}T10:00:00Z"},
    "inventory": {"snapshot_date": str(DAY), "store_id": "S1", "sku_id": "K1", "on_hand_qty": "3"},
    "suppressions": {"store_id": "S1", "sku_id": "K1", "reason": "cannot sell it", "requested_by": "salesforce",
                     "expires_on": str(DAY + timedelta(days=30))},
}
NOT_OF_KIND = {"integer": "2.5", "decimal": "abc", "boolean": "yes", "timestamp": "noon", "date": "03/02/2025"}
# For each value rule ("column: rule"), the changes to a good row that break it and nothing else.
BREAKING = {
    "license_type: isin(['full', 'beer_wine'])": {"license_type": "liquor"},
    "category: isin(['spirits', 'wine', 'beer', 'seltzer', 'other'])": {"category": "food"},
    "volume_ml: greater_than(0)": {"volume_ml": "0"},
    "seasonal_months: month_list_1_to_12": {"seasonal_months": "13"},
    "line_number: greater_than_or_equal_to(1)": {"line_number": "0"},
    "quantity: not_equal_to(0)": {"quantity": "0", "line_amount": "0.00"},  # a zero amount keeps the signs agreeing
    "on_hand_qty: greater_than_or_equal_to(0)": {"on_hand_qty": "-1"},
    "requested_by: isin(['retailer_app', 'salesforce', 'crm_email'])": {"requested_by": "email"},
}


def breaking_rows(contract: Contract) -> tuple[list[dict], set[str]]:
    """The good row, then one row per declared rule that breaks only that rule; and the rules broken."""
    good = GOOD[contract.feed]
    rows, broken, n = [good], set(), 0

    def variant(**changes) -> dict:
        nonlocal n
        n += 1
        row = {**good, **changes}
        # A fresh key (its first text part left unchanged made new), so that only the intended rule breaks.
        fresh = next((k for k in contract.unique
                      if k not in changes and contract.columns[contract.names.index(k)].kind == "string"), None)
        if fresh is not None:
            row[fresh] = f"{good[fresh]}-{n}"
        return row

    for c in contract.columns:
        if c.typed:
            rows.append(variant(**{c.name: NOT_OF_KIND[c.kind]}))
            broken.add(f"{c.name}: not a {c.kind}")
        if not c.nullable:
            rows.append(variant(**{c.name: ""}))
            broken.add(f"{c.name}: {NOT_NULLABLE}")
        for rule in c.rules:
            name = f"{c.name}: {rule.label}"
            assert name in BREAKING, f"add the changes breaking {name!r} to BREAKING"
            rows.append(variant(**BREAKING[name]))
            broken.add(name)
        if c.on_partition_day:
            later = DAY + timedelta(days=1)
            rows.append(variant(**{c.name: f"{later}T10:00:00Z" if c.kind == "timestamp" else str(later)}))
            broken.add(f"{c.name}: {ON_PARTITION_DAY}")
        if c.days_after_partition is not None:  # the day itself, and one day past the last allowed
            rule = c.days_after_partition
            for outside in (0, rule.last + 1):
                rows.append(variant(**{c.name: str(DAY + timedelta(days=outside))}))
            broken.add(f"{c.name}: {rule.label}")
    rows.append(dict(good))
    broken.add(f"{contract.key_label}: {DUPLICATE}")
    if contract.same_sign is not None:
        rule = contract.same_sign
        rows.append(variant(**{rule.second: "-" + good[rule.second]}))
        broken.add(f"{rule.second}: {rule.label}")
    return rows, broken


def write_partition(landing: Path, contract: Contract, rows: list[dict], name: str = "part.csv") -> Path:
    folder = landing / contract.feed / f"dt={DAY}"
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / name).open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(contract.names)
        writer.writerows([row[c] for c in contract.names] for row in rows)
    return folder


def pipeline_rejects(landing: Path, contract: Contract) -> set[tuple]:
    conn = duckdb.connect()
    try:
        ensure_tables(conn, contract)
        load_partition(conn, contract, landing, DAY)
        return set(conn.execute("select file, row_number, rule, column_name, value from raw.rejects").fetchall())
    finally:
        conn.close()


@pytest.mark.parametrize("feed", list(CONTRACTS))
def test_pipeline_and_validate_reject_the_same_rows_for_every_declared_rule(tmp_path, feed):
    contract = CONTRACTS[feed]
    rows, broken = breaking_rows(contract)
    folder = write_partition(tmp_path, contract, rows)

    from_pipeline = pipeline_rejects(tmp_path, contract)
    verdict = validate.judge(feed, DAY, validate.partitions([folder], None, None)[(feed, DAY)])
    from_validate = {(r["file"], r["row_number"], r["rule"], r["column_name"], r["value"]) for r in verdict.rejects}

    assert from_pipeline == from_validate
    assert {rule for _, _, rule, _, _ in from_pipeline} == broken
    assert len(from_pipeline) == len(rows) - 1  # every row but the good one, each for its one rule


@pytest.mark.parametrize(("feed", "header", "rows", "problem"), [
    ("inventory", "snapshot_date,store_id,sku_id,qty", [f"{DAY},S1,K1,3"], "missing column(s) on_hand_qty"),
    ("inventory", "snapshot_date,store_id,sku_id,on_hand_qty", [f"{DAY},S1,K1,many"],
     "column on_hand_qty: no value is a integer (e.g. 'many')"),
    ("stores", "store_id,store_name,market_id,license_type,is_active", [], "empty snapshot (no rows in any file)"),
    ("stores", "store_id,store_name,market_id,license_type,is_active", ["S1,x,M1,liquor,true"],
     "every row of the snapshot was rejected"),
])
def test_pipeline_and_validate_stop_the_same_partitions_with_the_same_problem(tmp_path, feed, header, rows, problem):
    folder = tmp_path / feed / f"dt={DAY}"
    folder.mkdir(parents=True)
    (folder / "f.csv").write_text("\n".join([header, *rows]) + "\n")
    with pytest.raises(LandingError) as caught:
        pipeline_rejects(tmp_path, CONTRACTS[feed])
    verdict = validate.judge(feed, DAY, validate.partitions([folder], None, None)[(feed, DAY)])
    assert verdict.breach == f"{caught.value.location}: {caught.value.problem}"
    assert caught.value.problem == problem


def test_validate_command_reports_each_rejected_row_and_exits_1(tmp_path, capsys):
    contract = CONTRACTS["orders"]
    good = GOOD["orders"]
    folder = write_partition(tmp_path, contract, [good, {**good, "order_id": "o2", "quantity": "0"}])
    assert main(["validate", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "orders dt=2025-02-03 (1 file(s)): 2 rows read, 1 would be rejected" in out
    assert "orders/dt=2025-02-03/part.csv row 2: line_amount: same_sign_as_quantity; quantity: not_equal_to(0)" in out


def test_validate_command_judges_a_file_outside_the_landing_zone_with_feed_and_day(tmp_path, capsys):
    file = tmp_path / "to_publish.csv"
    file.write_text(",".join(CONTRACTS["inventory"].names) + f"\n{DAY},S1,K1,3\n")
    assert main(["validate", str(file), "--feed", "inventory", "--day", str(DAY)]) == 0
    assert "1 partition(s) checked: all clean" in capsys.readouterr().out
    assert main(["validate", str(file)]) == 2
    assert "give --feed and --day" in capsys.readouterr().err
