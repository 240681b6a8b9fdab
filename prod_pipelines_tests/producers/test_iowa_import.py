"""The Iowa importer publishes a tiny hand-made extract, in the real files' layout, exactly per spec §1."""

from __future__ import annotations

import csv
import gzip
import hashlib
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from prod_pipelines.landing.contracts import CONTRACTS
from prod_pipelines.landing.loader import ensure_tables, load_partition
from prod_pipelines.producers.iowa import PRODUCTS_FILE, SALES_FILE, STORES_FILE, import_iowa

START, END = date(2022, 3, 1), date(2022, 3, 7)
DAYS = [START + timedelta(days=i) for i in range((END - START).days + 1)]

STORE_HEADER = ["store_number", "store_name", "store_status", "address", "city", "state", "zip_code", "latitude",
                "longitude", "store_report_date", "county", "county_source"]
STORES = [  # number, name, status, city, county
    ("1001", "HY-VEE / DES MOINES", "A", "DES MOINES", "POLK"),
    ("1002", "CYCLONE LIQUOR / AMES", "A", "AMES", "STORY"),
    ("1003", "CLOSED CORNER / ANKENY", "I", "ANKENY", "POLK"),
    ("1004", "NEVER ORDERED / CEDAR RAPIDS", "A", "CEDAR RAPIDS", "LINN"),
]
PRODUCT_HEADER = ["item_number", "category_name", "item_description", "vendor_number", "vendor_name",
                  "bottle_volume_ml", "pack", "inner_pack", "age", "proof", "list_date", "upc", "scc",
                  "state_bottle_cost", "state_case_cost", "state_bottle_retail", "report_date"]
PRODUCTS = [  # number, category, description, ml
    ("100", "AMERICAN VODKAS", "TITOS HANDMADE VODKA", "750"),
    ("200", "AMERICAN CORDIALS & LIQUEURS", "EVAN WILLIAMS EGG NOG", "1750"),
    ("300", "AMERICAN SCHNAPPS", "ARROW PEPPERMINT SCHNAPPS", "750"),  # peppermint sells all year
    ("400", "NEUTRAL GRAIN SPIRITS", "INGREDIENT GRAIN NEUTRAL SPIRIT", "0"),  # real dirt: 0 ml
    ("500", "WHISKEY LIQUEUR", "FIREBALL CINNAMON WHISKEY MINI", "50"),
]
LINES = [  # invoice_and_item_number, date, store, item, bottles, dollars
    ("INV-10000100001", date(2021, 11, 28), "1001", "300", 6, 60.00),  # a Sunday, before every window
    ("INV-10000200001", date(2021, 12, 1), "1001", "100", 12, 240.00),  # D-90 of Mar 1 only
    ("INV-10000300001", date(2022, 2, 10), "1002", "200", 6, 90.00),
    ("INV-10000300002", date(2022, 2, 10), "1002", "100", 3, 60.00),
    ("RINV-00100000001", date(2022, 2, 20), "1002", "200", -6, -90.00),  # a credit: the egg nog went back
    ("INV-10000400001", date(2022, 3, 1), "1001", "500", 24, 36.00),
    ("INV-10000400002", date(2022, 3, 1), "1001", "300", 0, 0.00),  # dirt: zero quantity
    ("INV-10000500001", date(2022, 3, 3), "1003", "100", 2, 40.00),
    ("INV-10000500002", date(2022, 3, 3), "1003", "300", 2, -10.00),  # dirt: signs disagree
    ("INV-10000600001", date(2022, 3, 7), "1002", "100", 1, 20.00),
]


def write_extract(source: Path) -> Path:
    source.mkdir(parents=True, exist_ok=True)
    counties = {number: county for number, _, _, _, county in STORES}
    names = {number: description for number, _, description, _ in PRODUCTS}
    volumes = {number: int(ml) for number, _, _, ml in PRODUCTS}
    rows = [{
        "invoice_and_item_number": inv, "date": day, "store_number": store, "store_name": f"STORE {store}",
        "address": "1 MAIN ST", "city": "SOMEWHERE", "zip_code": "50000", "latitude": 41.6, "longitude": -93.6,
        "county": counties[store], "county_source": "zip", "category_name": "AMERICAN VODKAS",
        "vendor_number": "260", "vendor_name": "A VENDOR", "item_number": item, "item_description": names[item],
        "pack": 12, "bottle_volume_ml": volumes[item], "bottles_sold": bottles, "sale_dollars": dollars,
        "volume_sold_liters": bottles * volumes[item] / 1000,
    } for inv, day, store, item, bottles, dollars in LINES]
    int32 = {"pack", "bottle_volume_ml", "bottles_sold"}
    floats = {"latitude", "longitude", "sale_dollars", "volume_sold_liters"}
    schema = pa.schema([(c, pa.int32() if c in int32 else pa.float64() if c in floats else
                         pa.date32() if c == "date" else pa.string()) for c in rows[0]])
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), source / SALES_FILE)
    _write_csv_gz(source / STORES_FILE, STORE_HEADER, [
        [n, name, status, "1 MAIN ST", city, "IA", "50000", "41.6", "-93.6", "2022-11-01", county, "zip"]
        for n, name, status, city, county in STORES])
    _write_csv_gz(source / PRODUCTS_FILE, PRODUCT_HEADER, [
        [n, category, description, "260", "A VENDOR", ml, "12", "1", "0", "80", "2020-01-01", "", "", "10", "120",
         "15", "2022-11-01"] for n, category, description, ml in PRODUCTS])
    return source


def _write_csv_gz(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with gzip.open(path, "wt", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def read_feed(landing: Path, feed: str) -> list[dict]:
    """Every row of a feed as text, with its folder's day under `dt`."""
    conn = duckdb.connect()
    conn.execute("set TimeZone = 'UTC'")
    rows = []
    for path in sorted((landing / feed).glob("dt=*/*")):
        source = (f"read_parquet('{path}', hive_partitioning = false)" if path.suffix == ".parquet"
                  else f"read_csv('{path}', header = true, all_varchar = true, hive_partitioning = false)")
        result = conn.sql(f"select columns(*)::varchar from {source}")
        rows += [{"dt": path.parent.name[3:], **dict(zip(result.columns, row, strict=True))}
                 for row in result.fetchall()]
    conn.close()
    return rows


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    source = write_extract(tmp_path_factory.mktemp("extract"))
    data_dir = tmp_path_factory.mktemp("data")
    written = import_iowa(source, data_dir, START, END)
    return source, data_dir / "landing", written


def test_orders_and_inventory_have_one_folder_for_every_day_and_empty_days_are_header_only(published):
    _, landing, _ = published
    for feed in ("orders", "inventory"):
        assert sorted(p.name for p in (landing / feed).iterdir()) == [f"dt={d}" for d in DAYS]
    for day in (date(2022, 3, 2), date(2022, 3, 4)):  # no order line on these days
        files = list((landing / "orders" / f"dt={day}").iterdir())
        assert [f.name for f in files] == ["part-0.csv"]
        assert files[0].read_text().strip() == ",".join(f'"{c}"' for c in CONTRACTS["orders"].names)


def test_reference_snapshots_are_published_once_on_the_first_day(published):
    _, landing, _ = published
    for feed in ("stores", "products"):
        assert [p.name for p in (landing / feed).iterdir()] == [f"dt={START}"]


def test_every_file_carries_exactly_the_contract_columns(published):
    _, landing, _ = published
    for feed, contract in CONTRACTS.items():
        for path in sorted((landing / feed).glob("dt=*/*")):
            source = (f"read_parquet('{path}', hive_partitioning = false)" if path.suffix == ".parquet"
                      else f"read_csv('{path}', header = true, hive_partitioning = false)")
            assert duckdb.sql(f"select * from {source} limit 0").columns == contract.names, path


def test_the_market_is_the_county_every_store_is_full_license_and_status_maps_to_is_active(published):
    _, landing, _ = published
    stores = {r["store_id"]: (r["market_id"], r["license_type"], r["is_active"]) for r in read_feed(landing, "stores")}
    assert stores == {"1001": ("POLK", "full", "true"), "1002": ("STORY", "full", "true"),
                      "1003": ("POLK", "full", "false"), "1004": ("LINN", "full", "true")}


def test_every_item_is_spirits_and_only_holiday_specials_are_seasonal(published):
    _, landing, _ = published
    products = {r["sku_id"]: (r["category"], r["volume_ml"], r["seasonal_months"])
                for r in read_feed(landing, "products")}
    assert products == {"100": ("spirits", "750", None), "200": ("spirits", "1750", "8,9,10,11,12,1"),
                        "300": ("spirits", "750", None), "400": ("spirits", "0", None),
                        "500": ("spirits", "50", None)}


def test_an_order_line_is_an_invoice_line_with_its_dirt_passed_through_unchanged(published):
    _, landing, written = published
    orders = {(r["order_id"], r["line_number"]): r for r in read_feed(landing, "orders")}
    expected = [line for line in LINES if START <= line[1] <= END]
    assert written["orders"] == len(orders) == len(expected)
    for inv, day, store, item, bottles, dollars in expected:
        row = orders[(inv[:-5], str(int(inv[-5:])))]
        assert (row["dt"], row["store_id"], row["sku_id"], int(row["quantity"])) == (str(day), store, item, bottles)
        assert float(row["line_amount"]) == dollars
        assert row["ordered_at"] == f"{day} 00:00:00+00"
    assert orders[("INV-100004", "2")]["quantity"] == "0"
    assert float(orders[("INV-100005", "2")]["line_amount"]) == -10.0


def expected_inventory(day: date) -> dict[tuple[str, str], int]:
    """Reference rule, line by line: net bottles per store and item over [day-90, day-1], clamped at 0."""
    net: dict[tuple[str, str], int] = {}
    for _, ordered, store, item, bottles, _ in LINES:
        if day - timedelta(days=90) <= ordered <= day - timedelta(days=1):
            net[(store, item)] = net.get((store, item), 0) + bottles
    return {key: max(value, 0) for key, value in net.items()}


def test_inventory_lists_exactly_the_items_each_store_ordered_in_the_90_days_before(published):
    _, landing, written = published
    rows = read_feed(landing, "inventory")
    assert written["inventory"] == len(rows)
    for day in DAYS:
        listed = {(r["store_id"], r["sku_id"]): int(r["on_hand_qty"]) for r in rows if r["dt"] == str(day)}
        assert all(r["snapshot_date"] == r["dt"] for r in rows)
        assert listed == expected_inventory(day), day
    first = {(r["store_id"], r["sku_id"]): r["on_hand_qty"] for r in rows if r["dt"] == "2022-03-01"}
    assert first == {("1001", "100"): "12", ("1002", "100"): "3", ("1002", "200"): "0"}  # returned: listed, 0
    assert ("1001", "100") not in {(r["store_id"], r["sku_id"]) for r in rows if r["dt"] == "2022-03-02"}


def test_the_contract_accepts_every_row_but_the_planted_dirt(published):
    _, landing, _ = published
    conn = duckdb.connect()
    for contract in CONTRACTS.values():
        ensure_tables(conn, contract)
        for day in DAYS:
            load_partition(conn, contract, landing, day)
    rejects = conn.execute("select feed, rule, value from raw.rejects order by all").fetchall()
    assert rejects == [("orders", "line_amount: same_sign_as_quantity", "-10.0000"),
                       ("orders", "quantity: not_equal_to(0)", "0"),
                       ("products", "volume_ml: greater_than(0)", "0")]


def test_the_same_extract_gives_byte_identical_files(published, tmp_path):
    source, landing, _ = published
    import_iowa(source, tmp_path, START, END)

    def hashes(root: Path) -> dict[str, str]:
        return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(root.rglob("*")) if p.is_file()}

    assert hashes(tmp_path / "landing") == hashes(landing)


def test_the_default_range_runs_from_the_first_weekday_with_a_full_inventory_window_to_the_last_sale(
        published, tmp_path):
    source, _, _ = published
    import_iowa(source, tmp_path)
    days = sorted(p.name for p in (tmp_path / "landing" / "orders").iterdir())
    # first sale Sun 2021-11-28 + 90 days = Sat 2022-02-26, moved to Monday 2022-02-28
    assert (days[0], days[-1], len(days)) == ("dt=2022-02-28", "dt=2022-03-07", 8)


def test_a_range_whose_first_day_has_no_earlier_order_is_refused(published, tmp_path):
    source, _, _ = published
    with pytest.raises(ValueError, match="derived inventory would be empty"):
        import_iowa(source, tmp_path, date(2021, 11, 28), END)
    with pytest.raises(ValueError, match="after end"):
        import_iowa(source, tmp_path, END, START)
