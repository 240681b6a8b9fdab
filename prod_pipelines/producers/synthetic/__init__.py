"""Deterministic synthetic landing zone (spec §1 and §5): stores, products, orders and inventory files.

Grain: one partition per feed and day. The same arguments give byte-identical files, and each day's
orders and inventory depend only on (seed, scale, day), so a range seeded in pieces equals one seeded
at once. Scale factor 1 is 1,000 stores, 4,000 items, about 100,000 order lines a day and about 600
stocked items per store.
"""
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa

from prod_pipelines.producers.synthetic import daily, publishing, reference, writers

__all__ = ["generate_landing"]


def generate_landing(data_dir: Path, start: date, end: date, scale: float, seed: int = 7) -> dict[str, int]:
    """Write `<data_dir>/landing/<feed>/dt=.../` for every day in [start, end]; rows written per feed."""
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    landing_dir = Path(data_dir) / "landing"
    world = daily.World.build(seed, scale)
    rows = dict.fromkeys(publishing.FEEDS, 0)
    for offset in range((end - start).days + 1):
        day = start + timedelta(days=offset)
        for feed in publishing.FEEDS:
            if publishing.publishes(feed, day, start):
                rows[feed] += _publish(landing_dir, world, feed, day)
    return rows


def _publish(landing_dir: Path, world: daily.World, feed: str, day: date) -> int:
    table = _table(world, feed, day)
    formats = publishing.formats(feed, day)
    tables = daily.split_by_time(table, len(formats)) if feed == "orders" else [table]
    writers.write_partition(landing_dir, feed, day, list(zip(tables, formats, strict=True)))
    return table.num_rows


def _table(world: daily.World, feed: str, day: date) -> pa.Table:
    if feed == "stores":
        return reference.stores_table(world.stores, day, world.seed)
    if feed == "products":
        return reference.products_table(world.products, day, world.seed)
    if feed == "orders":
        return daily.order_lines(world, day)
    return daily.inventory(world, day)
