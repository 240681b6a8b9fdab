"""Stores and products: the reference world, fixed by (seed, scale), with small weekly changes.

Grain: one row per store, and one row per sku, in each published snapshot. Markets (40) and items
(4,000) do not scale; stores scale linearly with the scale factor. The week's changes (a store or two
toggling is_active, a sku relabelled) depend only on the week, so any day's state is reproducible alone.
"""
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from prod_pipelines.producers.synthetic import randomness

MARKETS = 40
ITEMS = 4000
STORES_PER_SF = 1000
BEER_WINE_SHARE = 0.10
INACTIVE_SHARE = 0.03
NIP_SHARE = 0.08
SEASONAL_SHARE = 0.05
CATEGORIES = ("spirits", "wine", "beer", "seltzer", "other")
SPIRITS, OTHER = 0, 4
CATEGORY_SHARE = (0.26, 0.36, 0.2, 0.1, 0.08)
STYLES = (
    ("Vodka", "Bourbon", "Gin", "Tequila"),
    ("Cabernet", "Chardonnay", "Pinot Noir", "Rose"),
    ("IPA", "Lager", "Stout", "Pilsner"),
    ("Hard Seltzer", "Lime Seltzer", "Mango Seltzer", "Berry Seltzer"),
    ("Cider", "Liqueur", "Vermouth", "Sake"),
)
VOLUMES = (
    ((200, 375, 750, 1000, 1750), (0.05, 0.15, 0.55, 0.15, 0.10)),
    ((187, 375, 750, 1500), (0.05, 0.10, 0.75, 0.10)),
    ((355, 473, 650, 2130), (0.45, 0.25, 0.15, 0.15)),
    ((355, 473, 710), (0.6, 0.3, 0.1)),
    ((100, 375, 500, 750), (0.1, 0.3, 0.3, 0.3)),
)
CENTS_PER_ML = np.array([3.6, 2.0, 0.7, 0.8, 2.4])
SEASONS = ("11,12", "6, 7, 8", "12", "10,11,12", "5,6,7,8", " 3, 4", "1, 2", "9,10")
IN_SEASON = np.array(
    [[str(m) in {part.strip() for part in s.split(",")} for m in range(1, 13)] for s in SEASONS] + [[True] * 12]
)
BRANDS = ("Oakridge", "Blue Heron", "Copper Fox", "Silver Pine", "Harbor", "Old Mill", "Red Barn", "Northgate",
          "Stonewall", "Wild Sage", "Iron Gate", "Golden Hill", "Maple Row", "Black Creek", "Sunfield", "Two Rivers")
PLACES = ("Main Street", "Harbor", "Oak", "Riverside", "Corner", "Uptown", "Hilltop", "Lakeside", "Village", "Park")
KINDS = ("Liquors", "Wine & Spirits", "Bottle Shop", "Beverages", "Cellars", "Package Store")


@dataclass(frozen=True)
class Stores:
    ids: pa.Array
    names: pa.Array
    market: np.ndarray
    beer_wine: np.ndarray
    active: np.ndarray
    size: np.ndarray

    def __len__(self) -> int:
        return len(self.market)


@dataclass(frozen=True)
class Products:
    ids: pa.Array
    names: pa.Array
    category: np.ndarray
    volume_ml: np.ndarray
    season: np.ndarray
    price_cents: np.ndarray

    def in_season(self, month: int) -> np.ndarray:
        return IN_SEASON[self.season, month - 1]


def market_ids() -> pa.Array:
    return randomness.prefixed_ids("M", np.arange(1, MARKETS + 1), 2)


def build_stores(seed: int, scale: float) -> Stores:
    """Stores S0001.. spread over the 40 markets (every market gets one before any gets two)."""
    n = max(1, round(STORES_PER_SF * scale))
    rng = randomness.stream(seed, randomness.STORES)
    market_weight = rng.lognormal(0.0, 0.5, MARKETS)
    market = rng.choice(MARKETS, size=n, p=market_weight / market_weight.sum())
    first = rng.permutation(n)[:MARKETS]
    market[first] = np.arange(len(first))
    numbers = np.arange(1, n + 1)
    names = randomness.join_text(
        pa.array(PLACES).take(rng.integers(0, len(PLACES), n)), " ",
        pa.array(KINDS).take(rng.integers(0, len(KINDS), n)), " #", pa.array(numbers).cast(pa.string()))
    return Stores(
        ids=randomness.prefixed_ids("S", numbers, max(4, len(str(n)))),
        names=names,
        market=market,
        beer_wine=rng.random(n) < BEER_WINE_SHARE,
        active=rng.random(n) >= INACTIVE_SHARE,
        size=rng.lognormal(0.0, 0.5, n),
    )


def build_products(seed: int) -> Products:
    """Items K00001..K04000 with category, volume, season and a shelf price ending in .99."""
    rng = randomness.stream(seed, randomness.PRODUCTS)
    category = rng.choice(len(CATEGORIES), size=ITEMS, p=CATEGORY_SHARE)
    volume = np.zeros(ITEMS, dtype=np.int64)
    for number, (options, share) in enumerate(VOLUMES):
        chosen = category == number
        volume[chosen] = rng.choice(options, size=int(chosen.sum()), p=share)
    nip = rng.random(ITEMS) < NIP_SHARE
    category[nip] = np.where(rng.random(ITEMS)[nip] < 0.8, SPIRITS, OTHER)
    volume[nip] = rng.choice([30, 50], size=int(nip.sum()), p=[0.2, 0.8])
    season = np.where(rng.random(ITEMS) < SEASONAL_SHARE, rng.integers(0, len(SEASONS), ITEMS), len(SEASONS))
    raw_cents = volume * CENTS_PER_ML[category] * rng.lognormal(0.0, 0.35, ITEMS)
    styles = pa.array([style for group in STYLES for style in group])
    names = randomness.join_text(
        pa.array(BRANDS).take(rng.integers(0, len(BRANDS), ITEMS)), " ",
        styles.take(category * 4 + rng.integers(0, 4, ITEMS)), " ",
        pa.array(volume).cast(pa.string()), "ml")
    return Products(
        ids=randomness.prefixed_ids("K", np.arange(1, ITEMS + 1), 5),
        names=names,
        category=category,
        volume_ml=volume,
        season=season,
        price_cents=np.maximum(np.ceil(raw_cents / 100), 1).astype(np.int64) * 100 - 1,
    )


def _week_stream(seed: int, stream_id: int, day: date) -> np.random.Generator:
    return randomness.stream(seed, stream_id, day - timedelta(days=day.weekday()))


def active_on(stores: Stores, day: date, seed: int) -> np.ndarray:
    """is_active on `day`: the base flags with one or two stores toggled for that week (none below 20 stores)."""
    rng = _week_stream(seed, randomness.STORE_CHANGES, day)
    toggled = rng.choice(len(stores), size=min(int(rng.integers(1, 3)), len(stores) // 20), replace=False)
    active = stores.active.copy()
    active[toggled] = ~active[toggled]
    return active


def stores_table(stores: Stores, day: date, seed: int) -> pa.Table:
    return pa.table({
        "store_id": stores.ids,
        "store_name": stores.names,
        "market_id": market_ids().take(stores.market),
        "license_type": pa.array(["full", "beer_wine"]).take(stores.beer_wine.astype(np.int8)),
        "is_active": pa.array(active_on(stores, day, seed)),
    })


def products_table(products: Products, day: date, seed: int) -> pa.Table:
    """The catalogue on `day`; one sku per week carries a new label, so snapshots differ a little."""
    relabelled = np.zeros(ITEMS, dtype=bool)
    relabelled[_week_stream(seed, randomness.PRODUCT_CHANGES, day).integers(0, ITEMS)] = True
    names = pc.if_else(pa.array(relabelled), randomness.join_text(products.names, " (new label)"), products.names)
    return pa.table({
        "sku_id": products.ids,
        "sku_name": names,
        "category": pa.array(CATEGORIES).take(products.category),
        "volume_ml": pa.array(products.volume_ml, pa.int64()),
        "seasonal_months": pa.array(SEASONS + ("",)).take(products.season),
    })
