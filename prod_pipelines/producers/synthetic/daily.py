"""Orders and inventory of one day, drawn from the world and a generator keyed by (seed, day) alone.

Grain: orders is one row per order line, ordered by time; inventory is one row per active store and
carried item. Only stores active that day order or report stock, and they only sell what they carry.
"""
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import pairwise

import numpy as np
import pyarrow as pa

from prod_pipelines.producers.synthetic import assortment, randomness, reference

LINES_PER_SF = 100_000
WEEKDAY_FACTOR = (0.9, 0.9, 0.95, 1.0, 1.1, 1.2, 0.95)
MEAN_LINES_PER_ORDER = 4.0
RETURN_SHARE = 0.02
# A carried item is out of stock for OUTAGE_DAYS in every STOCK_CYCLE_DAYS (~4% of items on any day),
# each (store, item) at its own phase: stockouts last days, as real ones do, so recommendations
# drift from day to day instead of being redrawn.
STOCK_CYCLE_DAYS = 50
OUTAGE_DAYS = 2
HOURLY = np.array([1, 1, 1, 1, 1, 1, 2, 3, 4, 6, 7, 8, 9, 9, 9, 9, 10, 11, 12, 12, 10, 7, 4, 2], dtype=float)


@dataclass(frozen=True)
class World:
    """Everything that does not change from day to day, for one (seed, scale)."""

    seed: int
    scale: float
    stores: reference.Stores
    products: reference.Products
    shelves: assortment.Assortment

    @classmethod
    def build(cls, seed: int, scale: float) -> "World":
        stores = reference.build_stores(seed, scale)
        products = reference.build_products(seed)
        return cls(seed, scale, stores, products, assortment.build(stores, products, seed))


def order_lines(world: World, day: date) -> pa.Table:
    """About 100,000 × scale lines (more at weekends) in orders of about four lines; ~2% are returns."""
    rng = randomness.stream(world.seed, randomness.ORDERS, day)
    active = np.flatnonzero(reference.active_on(world.stores, day, world.seed))
    expected = LINES_PER_SF * world.scale * WEEKDAY_FACTOR[day.weekday()] / MEAN_LINES_PER_ORDER
    n_orders = int(rng.poisson(expected)) if len(active) else 0
    size = world.stores.size[active]
    order_store = active[rng.choice(len(active), size=n_orders, p=size / size.sum())] if n_orders else active[:0]
    lines = 1 + rng.poisson(MEAN_LINES_PER_ORDER - 1, n_orders)
    seconds = rng.choice(24, size=n_orders, p=HOURLY / HOURLY.sum()) * 3600 + rng.integers(0, 3600, n_orders)
    by_time = np.argsort(seconds, kind="stable")
    order_store, lines, seconds = order_store[by_time], lines[by_time], seconds[by_time]

    line_order = np.repeat(np.arange(n_orders), lines)
    line_number = np.arange(len(line_order)) - np.repeat(np.cumsum(lines) - lines, lines) + 1
    line_store = order_store[line_order]
    sku = world.shelves.sample(line_store, day.month, rng)
    quantity = np.minimum(rng.geometric(0.55, len(line_order)), 24)
    quantity = np.where(rng.random(len(line_order)) < RETURN_SHARE, -quantity, quantity)
    midnight = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
    order_ids = randomness.prefixed_ids(f"O{day:%Y%m%d}-", np.arange(1, n_orders + 1), max(6, len(str(n_orders))))
    return pa.table({
        "order_id": order_ids.take(line_order),
        "line_number": pa.array(line_number, pa.int64()),
        "store_id": world.stores.ids.take(line_store),
        "sku_id": world.products.ids.take(sku),
        "quantity": pa.array(quantity, pa.int64()),
        "line_amount": randomness.decimal_from_cents(quantity * world.products.price_cents[sku]),
        "ordered_at": pa.array(midnight + seconds[line_order], pa.int64()).cast(pa.timestamp("s", tz="UTC")),
    })


def inventory(world: World, day: date) -> pa.Table:
    """End-of-day stock of every carried item of every active store; popular items hold more, ~4% are out."""
    rng = randomness.stream(world.seed, randomness.INVENTORY, day)
    active = np.flatnonzero(reference.active_on(world.stores, day, world.seed))
    store, sku, relative = world.shelves.shelf(active, day.month)
    on_hand = rng.poisson(4.0 + 40.0 * np.sqrt(relative))
    phase = (store.astype(np.uint64) * np.uint64(2654435761) ^ sku.astype(np.uint64) * np.uint64(40503)
             ^ np.uint64(world.seed)) % np.uint64(STOCK_CYCLE_DAYS)
    on_hand[(phase + np.uint64(day.toordinal())) % np.uint64(STOCK_CYCLE_DAYS) < OUTAGE_DAYS] = 0
    return pa.table({
        "snapshot_date": pa.array(np.full(len(store), np.datetime64(day, "D"))).cast(pa.date32()),
        "store_id": world.stores.ids.take(store),
        "sku_id": world.products.ids.take(sku),
        "on_hand_qty": pa.array(on_hand, pa.int64()),
    })


def split_by_time(table: pa.Table, parts: int) -> list[pa.Table]:
    """Consecutive slices covering equal spans of the day, so an order never straddles two files."""
    seconds_of_day = table["ordered_at"].cast(pa.int64()).to_numpy() % 86400
    edges = np.searchsorted(seconds_of_day, np.arange(1, parts) * 86400 // parts)
    cuts = [0, *edges.tolist(), table.num_rows]
    return [table.slice(start, stop - start) for start, stop in pairwise(cuts)]
