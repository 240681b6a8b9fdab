"""The synthetic landing zone keeps the contract of spec §1 and the scale of §5, byte for byte reproducibly."""
import hashlib
import re
from datetime import date
from pathlib import Path

import duckdb
import pytest

from prod_pipelines.producers.synthetic import generate_landing

START, END = date(2025, 1, 1), date(2025, 1, 7)
COLUMNS = {
    "stores": ["store_id", "store_name", "market_id", "license_type", "is_active"],
    "products": ["sku_id", "sku_name", "category", "volume_ml", "seasonal_months"],
    "orders": ["order_id", "line_number", "store_id", "sku_id", "quantity", "line_amount", "ordered_at"],
    "inventory": ["snapshot_date", "store_id", "sku_id", "on_hand_qty"],
}


def _hashes(root: Path, feeds=tuple(COLUMNS)) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for feed in feeds
        for path in sorted((root / "landing" / feed).rglob("*"))
        if path.is_file()
    }


def _source(path: Path) -> str:
    if path.name.endswith(".parquet"):
        return f"read_parquet('{path}', hive_partitioning = false)"
    return f"read_csv('{path}', header = true, all_varchar = true, hive_partitioning = false)"


def _files(landing: Path, feed: str) -> list[Path]:
    return sorted(p for p in (landing / feed).glob("dt=*/*") if p.is_file())


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    rows = generate_landing(root, START, END, scale=0.1)
    return root / "landing", rows


@pytest.fixture(scope="module")
def con(generated):
    """Each feed loaded as text, with the partition date and file name of every row."""
    landing, _ = generated
    connection = duckdb.connect()
    connection.execute("set TimeZone = 'UTC'")
    for feed in COLUMNS:
        selects = [
            f"select '{path.parent.name[3:]}' as dt, '{path.name}' as file, * "
            f"from (select columns(*)::varchar from {_source(path)})"
            for path in _files(landing, feed)
        ]
        connection.execute(f"create table {feed} as " + " union all by name ".join(selects))
    yield connection
    connection.close()


def test_same_arguments_give_byte_identical_trees(tmp_path):
    first = generate_landing(tmp_path / "a", date(2025, 1, 5), date(2025, 1, 7), scale=0.05, seed=3)
    second = generate_landing(tmp_path / "b", date(2025, 1, 5), date(2025, 1, 7), scale=0.05, seed=3)
    assert first == second
    assert _hashes(tmp_path / "a") == _hashes(tmp_path / "b")
    assert len(_hashes(tmp_path / "a")) >= 8


def test_a_different_seed_gives_different_orders(tmp_path):
    generate_landing(tmp_path / "a", date(2025, 1, 5), date(2025, 1, 5), scale=0.05, seed=3)
    generate_landing(tmp_path / "b", date(2025, 1, 5), date(2025, 1, 5), scale=0.05, seed=4)
    assert _hashes(tmp_path / "a", ["orders"]) != _hashes(tmp_path / "b", ["orders"])


def test_seeding_a_range_in_two_halves_gives_the_same_daily_files(tmp_path):
    generate_landing(tmp_path / "whole", date(2025, 1, 1), date(2025, 1, 6), scale=0.05)
    generate_landing(tmp_path / "halves", date(2025, 1, 1), date(2025, 1, 3), scale=0.05)
    generate_landing(tmp_path / "halves", date(2025, 1, 4), date(2025, 1, 6), scale=0.05)
    daily = ["orders", "inventory"]
    assert _hashes(tmp_path / "whole", daily) == _hashes(tmp_path / "halves", daily)
    assert len(_hashes(tmp_path / "whole", daily)) >= 12


def test_reseeding_a_day_replaces_its_files_and_drops_stale_ones(tmp_path):
    day = date(2025, 1, 4)
    generate_landing(tmp_path, day, day, scale=0.05)
    folder = tmp_path / "landing" / "orders" / "dt=2025-01-04"
    fresh = _hashes(tmp_path, ["orders"])
    (folder / "part-7.csv").write_text("order_id\nstale\n")
    next(folder.glob("part-0.*")).write_bytes(b"corrupt")
    generate_landing(tmp_path, day, day, scale=0.05)
    assert _hashes(tmp_path, ["orders"]) == fresh


def test_scale_factor_sets_stores_markets_and_licenses(con):
    count, markets, beer_wine, inactive = con.execute(
        "select count(*), count(distinct market_id), avg((license_type = 'beer_wine')::int), "
        "avg((is_active = 'false')::int) from stores where dt = '2025-01-01'").fetchone()
    assert count == 100
    assert markets == 40
    assert 0.04 <= beer_wine <= 0.18
    assert 0.0 < inactive <= 0.08
    bad = con.execute(
        "select count(*) from stores where not regexp_full_match(store_id, 'S\\d{4}') "
        "or not regexp_full_match(market_id, 'M\\d{2}') or license_type not in ('full', 'beer_wine') "
        "or is_active not in ('true', 'false')").fetchone()[0]
    assert bad == 0


def test_products_keep_4000_items_with_some_nips_and_seasonal_items(con):
    count, nips, seasonal, spaced, categories = con.execute(
        "select count(*), avg((volume_ml::int <= 50)::int), avg((coalesce(seasonal_months, '') <> '')::int), "
        "count(*) filter (where seasonal_months like '% %'), list(distinct category order by category) "
        "from products where dt = '2025-01-01'").fetchone()
    assert count == 4000
    assert 0.06 <= nips <= 0.10
    assert 0.03 <= seasonal <= 0.07
    assert spaced > 0
    assert categories == ["beer", "other", "seltzer", "spirits", "wine"]
    months = con.execute("select distinct seasonal_months from products where seasonal_months <> ''").fetchall()
    assert all(1 <= int(m) <= 12 for (value,) in months for m in value.split(","))


def test_order_lines_per_day_scale_with_the_scale_factor(con):
    per_day = dict(con.execute("select dt, count(*) from orders group by dt").fetchall())
    assert len(per_day) == 7
    assert all(8_000 <= lines <= 13_000 for lines in per_day.values()), per_day


def test_inventory_holds_about_600_items_per_active_store(con):
    per_day = con.execute(
        "select dt, count(*), count(distinct store_id), count(*) filter (where on_hand_qty::int = 0) "
        "from inventory group by dt").fetchall()
    assert len(per_day) == 7
    for _, rows, stores, empty in per_day:
        assert 90 <= stores <= 100
        assert 540 <= rows / stores <= 660
        assert 0 < empty < rows * 0.2
    duplicates = con.execute(
        "select count(*) from (select dt, store_id, sku_id from inventory group by all having count(*) > 1)")
    assert duplicates.fetchone()[0] == 0
    assert con.execute("select count(*) from inventory where snapshot_date <> dt").fetchone()[0] == 0


def test_generate_landing_reports_the_rows_it_wrote(generated, con):
    _, rows = generated
    assert rows == {feed: con.execute(f"select count(*) from {feed}").fetchone()[0] for feed in COLUMNS}


def test_every_file_has_exactly_the_spec_columns(generated):
    landing, _ = generated
    connection = duckdb.connect()
    for feed, columns in COLUMNS.items():
        for path in _files(landing, feed):
            assert connection.sql(f"select * from {_source(path)}").columns == columns, path


def test_ordered_at_is_iso_utc_on_the_partition_date(con):
    assert con.execute("select count(*) from orders where left(ordered_at, 10) <> dt").fetchone()[0] == 0
    csv_times = [t for (t,) in con.execute("select ordered_at from orders where file like '%.csv%'").fetchall()]
    assert csv_times and all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", t) for t in csv_times)


def test_order_id_and_line_number_are_unique_and_lines_count_from_one(con):
    duplicates = con.execute(
        "select count(*) from (select order_id, line_number from orders group by all having count(*) > 1)")
    assert duplicates.fetchone()[0] == 0
    numbering = con.execute(
        "select count(*) from (select order_id, min(line_number::int) lo, max(line_number::int) hi, count(*) n "
        "from orders group by order_id) where lo <> 1 or hi <> n").fetchone()[0]
    assert numbering == 0
    assert con.execute("select avg(n) from (select count(*) n from orders group by order_id)").fetchone()[0] > 2


def test_returns_have_negative_quantity_and_amount(con):
    returns, wrong_sign, zero = con.execute(
        "select count(*) filter (where quantity::int < 0), "
        "count(*) filter (where sign(quantity::int) <> sign(line_amount::decimal(18, 2))), "
        "count(*) filter (where quantity::int = 0) from orders").fetchone()
    assert returns > 0
    assert wrong_sign == 0
    assert zero == 0
    malformed = con.execute("select count(*) from orders where not regexp_full_match(line_amount, '-?\\d+\\.\\d\\d')")
    assert malformed.fetchone()[0] == 0


def test_item_popularity_is_skewed(con):
    shares = [s for (s,) in con.execute(
        "select count(*) / sum(count(*)) over () s from orders group by sku_id order by s desc").fetchall()]
    assert sum(shares[:40]) > 0.25
    assert len(shares) > 1000


def test_reference_feeds_publish_on_the_start_date_and_mondays_only(con):
    for feed in ("stores", "products"):
        dates = [d for (d,) in con.execute(f"select distinct dt from {feed} order by dt").fetchall()]
        assert dates == ["2025-01-01", "2025-01-06"]


def test_reference_snapshots_differ_only_a_little(con):
    changed = con.execute(
        "select count(*) from stores a join stores b using (store_id) "
        "where a.dt = '2025-01-01' and b.dt = '2025-01-06' and a.is_active <> b.is_active").fetchone()[0]
    assert 1 <= changed <= 4
    renamed = con.execute(
        "select count(*) from products a join products b using (sku_id) "
        "where a.dt = '2025-01-01' and b.dt = '2025-01-06' and a.sku_name <> b.sku_name").fetchone()[0]
    assert 1 <= renamed <= 2


def test_file_formats_are_mixed_and_some_orders_days_are_split(generated):
    landing, _ = generated
    files = [p for feed in COLUMNS for p in _files(landing, feed)]
    assert {re.sub(r"^part-\d+\.", "", p.name) for p in files} == {"csv", "csv.gz", "parquet"}
    parts_per_day = [len(list(folder.iterdir())) for folder in (landing / "orders").iterdir()]
    assert max(parts_per_day) >= 2 and min(parts_per_day) == 1


def test_many_stores_miss_some_of_their_markets_best_sellers(con):
    con.execute(
        "create or replace temp table best as select market_id, sku_id from ("
        " select market_id, sku_id,"
        " row_number() over (partition by market_id order by sum(quantity::int) desc, sku_id) r"
        " from orders o join stores s on s.store_id = o.store_id and s.dt = '2025-01-06'"
        " group by market_id, sku_id) where r <= 25")
    share_missing_some, missing_per_store = con.execute(
        "select avg((missing > 0)::int), avg(missing) from ("
        " select s.store_id, count(*) filter (where i.sku_id is null) missing from best b"
        " join stores s on s.market_id = b.market_id and s.dt = '2025-01-06' and s.is_active = 'true'"
        " left join inventory i on i.dt = '2025-01-07' and i.store_id = s.store_id and i.sku_id = b.sku_id"
        " group by s.store_id)").fetchone()
    assert 0.3 <= share_missing_some <= 0.95
    assert 1 <= missing_per_store <= 10
    assert con.execute("select count(distinct sku_id) from best").fetchone()[0] > 40
