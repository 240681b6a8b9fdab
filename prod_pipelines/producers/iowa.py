"""The real Iowa Liquor Sales extract published as a landing zone (spec §1), as its upstream producer would.

Grain: one folder `landing/<feed>/dt=YYYY-MM-DD/` per feed and day. `orders` and `inventory` get a folder
for every day in [start, end] (Parquet; a day without order lines is a header-only CSV); `stores` and
`products` are published once, on `start`, because the 2022-11 snapshots are the only reference there is
(the pipeline falls back to the latest earlier snapshot on the other days). Same extract and range, same
bytes. Everything is set-based in DuckDB; Python only loops over days to write files.

Mapping (docs/real-data.md gives the figures behind each choice):
- stores: `store_id` = store number; `market_id` = the county column of the stores snapshot, not one
  derived from sales lines: it also covers the stores that never sold, and equals the county on every
  sales line of the 2,003 stores that did. `license_type` = `full` for every store (Iowa has no
  beer/wine-only liquor licensees in this data); status `A`/`I` -> `is_active` true/false.
- products: `sku_id` = item number, `sku_name` = description, `category` = `spirits` for every item (the
  State wholesales spirits only); `volume_ml` = bottle volume; `seasonal_months` = HOLIDAY_SEASON when the
  description matches SEASONAL_WORDS (egg nog, pumpkin, holiday, Christmas, candy cane, advent, ornament),
  else empty = all year. Peppermint schnapps, gift packs "W/ GLASSES" and the category TEMPORARY &
  SPECIALTY PACKAGES sell every month, so they are not seasonal.
- orders: one line per invoice line. `invoice_and_item_number` is an invoice number then a 5-digit line
  number (INV-434685|00009; RINV-042000|00001 for credits): `order_id` = all but the last 5 digits,
  `line_number` = those digits (an id not ending in 5 digits keeps it whole and gets no line number, which
  the contract rejects). `quantity` = bottles_sold, `line_amount` = sale_dollars, `ordered_at` = the sale
  date at 00:00:00Z (the data has no time of day).
- inventory is DERIVED (the data has no shelf inventory): the snapshot of day D lists, per store, every
  item it ordered in [D-90, D-1]; `on_hand_qty` = net bottles ordered in that window (returns subtract),
  clamped at 0. A store "carries" what it bought recently, which is the best evidence there is.

Nothing is cleaned: returns, reused invoice numbers and products of 0 ml reach the pipeline unchanged,
and its contracts decide. Before first sale + 90 days the inventory window is cut off by the start of the
extract: on the first sales day it is empty (the contract rejects an empty snapshot, so the importer
refuses such a start), then it grows week after week, which the pipeline's row-count check blocks as
abnormal. So `start` defaults to first sale + 90 days, the first day with a full window, moved to the
next weekday: a run's first day ranks that day's orders only, and on a weekend there are few or none
(2022-04-02 is a Saturday, so the default is Monday 2022-04-04).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from prod_pipelines.producers.synthetic.writers import write_partition

SALES_FILE = "iowa_liquor_sales_2022-01_to_2022-10.parquet"
STORES_FILE = "iowa_stores_snapshot_2022-11.csv.gz"
PRODUCTS_FILE = "iowa_products_snapshot_2022-11.csv.gz"
INVENTORY_LOOKBACK_DAYS = 90
# Holiday and autumn specials: 99.9% of their 2022 bottles were ordered in Jan and Aug-Oct.
SEASONAL_WORDS = r"\b(EGG ?NOG|NOG|PUMPKIN|HOLIDAY|CHRISTMAS|XMAS|CANDY ?CANES?|GINGERBREAD|ADVENT|ORNAMENTS?)\b"
HOLIDAY_SEASON = "8,9,10,11,12,1"
DAYS_PER_QUERY = 16  # inventory days fetched at once: ~5M rows

ORDERS_SQL = """
    select
        sale_date as _day,
        case when regexp_matches(invoice_and_item_number, '\\d{5}$')
            then left(invoice_and_item_number, length(invoice_and_item_number) - 5)
            else invoice_and_item_number end as order_id,
        case when regexp_matches(invoice_and_item_number, '\\d{5}$')
            then cast(right(invoice_and_item_number, 5) as bigint) end as line_number,
        store_number as store_id,
        item_number as sku_id,
        cast(bottles_sold as bigint) as quantity,
        cast(sale_dollars as decimal(18, 4)) as line_amount,
        timezone('UTC', cast(sale_date as timestamp)) as ordered_at
    from sales
    where sale_date between ? and ?
    order by sale_date, invoice_and_item_number
"""

# Per store and item, the runs of days over which the window [D-90, D-1] holds the same order days: an
# order day enters the window of D = day + 1 and leaves it at D = day + 91. Running sums over these changes
# give each run's net bottles; a run with no order day in the window lists nothing.
INVENTORY_RUNS_SQL = f"""
    create temp table inventory_runs as
    with
    store_item_days as (
        select store_number as store_id, item_number as sku_id, sale_date, sum(bottles_sold) as bottles
        from sales
        group by all
    ),
    changes as (
        select store_id, sku_id, day, sum(order_days) as order_days, sum(bottles) as bottles
        from (
            select store_id, sku_id, sale_date + 1 as day, 1 as order_days, bottles from store_item_days
            union all
            select store_id, sku_id, sale_date + {INVENTORY_LOOKBACK_DAYS} + 1, -1, -bottles from store_item_days
        )
        group by all
    ),
    runs as (
        select store_id, sku_id, day as first_day, lead(day) over by_day as end_day,
               sum(order_days) over (by_day rows unbounded preceding) as order_days_in_window,
               sum(bottles) over (by_day rows unbounded preceding) as bottles_in_window
        from changes
        window by_day as (partition by store_id, sku_id order by day)
    )
    select store_id, sku_id, first_day, end_day, cast(greatest(bottles_in_window, 0) as bigint) as on_hand_qty
    from runs
    where order_days_in_window > 0
"""

INVENTORY_SQL = """
    select cast(unnest(generate_series(greatest(first_day, $first), least(end_day - 1, $last), interval 1 day))
                as date) as snapshot_date,
           store_id, sku_id, on_hand_qty
    from inventory_runs
    where first_day <= $last and end_day > $first
    order by snapshot_date, store_id, sku_id
"""

STORES_SQL = """
    select store_number as store_id, store_name, county as market_id, 'full' as license_type,
           case store_status when 'A' then 'true' when 'I' then 'false' else store_status end as is_active
    from stores
    order by store_id
"""

PRODUCTS_SQL = f"""
    select item_number as sku_id, item_description as sku_name, 'spirits' as category,
           bottle_volume_ml as volume_ml,
           case when regexp_matches(upper(item_description), '{SEASONAL_WORDS}') then '{HOLIDAY_SEASON}' end
               as seasonal_months
    from products
    order by sku_id
"""


def import_iowa(source: Path, data_dir: Path, start: date | None = None, end: date | None = None) -> dict[str, int]:
    """Publish the extract in `source` under `<data_dir>/landing` for [start, end]; rows written per feed.

    Defaults: from the first weekday whose 90-day inventory window lies wholly in the extract (first sales
    date + 90, moved off a weekend) to the last sales date.
    """
    conn = _open_extract(Path(source))
    try:
        first_sale, last_sale = conn.sql("select min(sale_date), max(sale_date) from sales").fetchall()[0]
        start = start or _first_weekday(first_sale + timedelta(days=INVENTORY_LOOKBACK_DAYS))
        end = end or last_sale
        _check_range(start, end, first_sale, last_sale)
        landing = Path(data_dir) / "landing"
        days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
        written = {
            "stores": _publish(landing, "stores", start, conn.sql(STORES_SQL).to_arrow_table(), "csv.gz"),
            "products": _publish(landing, "products", start, conn.sql(PRODUCTS_SQL).to_arrow_table(), "csv.gz"),
            "orders": 0,
            "inventory": 0,
        }
        orders = conn.sql(ORDERS_SQL, params=[start, end]).to_arrow_table()
        for day, table in _split_by_day(orders, "_day", days):
            written["orders"] += _publish(landing, "orders", day, table.drop_columns(["_day"]), "parquet")
        conn.execute(INVENTORY_RUNS_SQL)
        for chunk_start in range(0, len(days), DAYS_PER_QUERY):
            chunk = days[chunk_start:chunk_start + DAYS_PER_QUERY]
            inventory = conn.sql(INVENTORY_SQL, params={"first": chunk[0], "last": chunk[-1]}).to_arrow_table()
            for day, table in _split_by_day(inventory, "snapshot_date", chunk):
                written["inventory"] += _publish(landing, "inventory", day, table, "parquet")
        return written
    finally:
        conn.close()


def _open_extract(source: Path) -> duckdb.DuckDBPyConnection:
    """Views `sales`, `stores` and `products` over the three files; reference files stay text, as published."""
    paths = {name: source / name for name in (SALES_FILE, STORES_FILE, PRODUCTS_FILE)}
    missing = [str(p) for p in paths.values() if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"Iowa extract incomplete, missing: {', '.join(missing)}")
    conn = duckdb.connect()
    conn.execute("set TimeZone = 'UTC'")  # ordered_at carries UTC on any machine
    sql_path = {name: str(path).replace("'", "''") for name, path in paths.items()}
    conn.execute(f"create view sales as select *, date as sale_date from read_parquet('{sql_path[SALES_FILE]}')")
    for view, name in (("stores", STORES_FILE), ("products", PRODUCTS_FILE)):
        conn.execute(f"create view {view} as select * "
                     f"from read_csv('{sql_path[name]}', header = true, all_varchar = true)")
    return conn


def _check_range(start: date, end: date, first_sale: date, last_sale: date) -> None:
    if start > end:
        raise ValueError(f"start {start} is after end {end}")
    if start <= first_sale:
        raise ValueError(f"start {start}: no order before it in the extract (first sale {first_sale}), so its "
                         f"derived inventory would be empty; start on {first_sale + timedelta(days=1)} or later")
    last_inventory = last_sale + timedelta(days=INVENTORY_LOOKBACK_DAYS)
    if end > last_inventory:
        raise ValueError(f"end {end}: no order in the {INVENTORY_LOOKBACK_DAYS} days before it (last sale "
                         f"{last_sale}), so its derived inventory would be empty; end on {last_inventory} or earlier")


def _first_weekday(day: date) -> date:
    """Iowa stores order on weekdays: a run whose first day has no orders recommends nothing that day."""
    return day + timedelta(days=(7 - day.weekday()) % 7 if day.weekday() >= 5 else 0)


def _split_by_day(table: pa.Table, column: str, days: list[date]):
    """(day, rows of that day) for every day, empty tables included; `table` is sorted by `column`."""
    keys = table.column(column).to_numpy()
    wanted = np.array(days, dtype="datetime64[D]")
    lows, highs = np.searchsorted(keys, wanted, side="left"), np.searchsorted(keys, wanted, side="right")
    for day, low, high in zip(days, lows, highs, strict=True):
        yield day, table.slice(low, high - low)


def _publish(landing: Path, feed: str, day: date, table: pa.Table, file_format: str) -> int:
    """One file per partition; a day without rows is a header-only CSV (spec §1)."""
    write_partition(landing, feed, day, [(table, file_format if table.num_rows else "csv")])
    return table.num_rows
