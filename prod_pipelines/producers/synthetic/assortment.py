"""Which items each store carries, and how well each sells there.

Grain: one entry per store and carried item. Popularity is Zipf-like over one global ranking of the
items, nudged per market, so markets agree on their best sellers but not exactly. Each store carries a
popularity-weighted sample (without replacement) of about 600 items, so the popular items are usually,
but not always, on its shelf, which is what gives "top items you don't carry" something to find.
A beer_wine store never carries spirits.
"""
from dataclasses import dataclass

import numpy as np

from prod_pipelines.producers.synthetic import randomness, reference

ZIPF_EXPONENT = 0.9
MARKET_NOISE = 0.5
ITEMS_PER_STORE = 600
CARRY_TEMPER = 0.6
OFF_SEASON_FACTOR = 0.05
BLOCK = 256


@dataclass(frozen=True)
class Assortment:
    """Per store, its carried skus in ascending order, padded at the end with a sentinel (ITEMS)."""

    skus: np.ndarray
    counts: np.ndarray
    weights: np.ndarray
    season: np.ndarray

    def demand(self, month: int) -> np.ndarray:
        """Per store and carried slot, the relative demand in `month` (0 in the padding)."""
        in_season = np.append(reference.IN_SEASON[self.season, month - 1], False)
        return self.weights * np.where(in_season, 1.0, OFF_SEASON_FACTOR)[self.skus]

    def sample(self, stores: np.ndarray, month: int, rng: np.random.Generator) -> np.ndarray:
        """One sku per entry of `stores`, drawn from that store's shelf by demand in `month`.

        All stores' cumulative demand rows are laid end to end, row s shifted by s, so one sorted
        search draws for every line at once.
        """
        cum = np.cumsum(self.demand(month), axis=1)
        cum /= np.where(cum[:, -1:] > 0, cum[:, -1:], 1.0)
        width = cum.shape[1]
        flat = (cum + np.arange(len(cum))[:, None]).ravel()
        position = np.searchsorted(flat, stores + rng.random(len(stores)), side="right") - stores * width
        slot = np.clip(position, 0, self.counts[stores] - 1)
        return self.skus[stores, slot]

    def shelf(self, stores: np.ndarray, month: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(store, sku, demand relative to the store's best item) for every item on the given stores' shelves."""
        demand = self.demand(month)[stores]
        relative = demand / np.maximum(demand.max(axis=1, keepdims=True), 1e-12)
        row, slot = np.nonzero(np.arange(self.skus.shape[1]) < self.counts[stores][:, None])
        return stores[row], self.skus[stores[row], slot], relative[row, slot]


def market_popularity(seed: int) -> np.ndarray:
    """(market, item) popularity: a global Zipf ranking times per-market log-normal noise."""
    rng = randomness.stream(seed, randomness.POPULARITY)
    rank = rng.permutation(reference.ITEMS)
    zipf = 1.0 / (rank + 1.0) ** ZIPF_EXPONENT
    return zipf[None, :] * rng.lognormal(0.0, MARKET_NOISE, (reference.MARKETS, reference.ITEMS))


def build(stores: reference.Stores, products: reference.Products, seed: int) -> Assortment:
    """Shelves by the Gumbel top-k trick: the k largest of tempered log-popularity plus Gumbel noise."""
    rng = randomness.stream(seed, randomness.ASSORTMENT)
    popularity = market_popularity(seed)
    spirits = products.category == reference.SPIRITS
    available = np.where(stores.beer_wine, reference.ITEMS - spirits.sum(), reference.ITEMS)
    wanted = np.rint(rng.normal(ITEMS_PER_STORE, ITEMS_PER_STORE / 10, len(stores))).astype(np.int64)
    counts = np.clip(wanted, 1, available)
    width = int(counts.max())
    skus = np.empty((len(stores), width), dtype=np.int64)
    log_popularity = CARRY_TEMPER * np.log(popularity)
    for start in range(0, len(stores), BLOCK):
        block = slice(start, start + BLOCK)
        keys = log_popularity[stores.market[block]] + rng.gumbel(size=(len(stores.market[block]), reference.ITEMS))
        keys[stores.beer_wine[block][:, None] & spirits[None, :]] = -np.inf
        top = np.argpartition(-keys, width - 1, axis=1)[:, :width]
        ranked = np.take_along_axis(top, np.argsort(-np.take_along_axis(keys, top, axis=1), axis=1), axis=1)
        ranked[np.arange(width)[None, :] >= counts[block][:, None]] = reference.ITEMS
        skus[block] = np.sort(ranked, axis=1)
    padded = np.concatenate([popularity, np.zeros((reference.MARKETS, 1))], axis=1)
    weights = padded[stores.market[:, None], skus]
    return Assortment(skus=skus, counts=counts, weights=weights, season=products.season)
