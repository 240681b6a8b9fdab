"""Named random streams and array helpers shared by the synthetic feeds.

Every table draws from its own stream keyed by (seed, day, stream), so a table depends only on its
own inputs and never on which other tables or days were generated before it.
"""
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

STORES = 1
PRODUCTS = 2
ORDERS = 3
INVENTORY = 4
STORE_CHANGES = 5
PRODUCT_CHANGES = 6
POPULARITY = 7
ASSORTMENT = 8


def stream(seed: int, stream_id: int, day: date | None = None) -> np.random.Generator:
    """A generator for one stream; day None (ordinal 0, before any real date) is the timeless world."""
    return np.random.default_rng([seed, day.toordinal() if day else 0, stream_id])


def prefixed_ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """Ids such as S0001: a prefix and zero-padded numbers."""
    digits = pc.utf8_lpad(pa.array(numbers, pa.int64()).cast(pa.string()), width=width, padding="0")
    return pc.binary_join_element_wise(prefix, digits, "")


def decimal_from_cents(cents: np.ndarray) -> pa.Array:
    """Exact decimal(18, 2) amounts from integer cents, without a detour through floats."""
    cents = np.ascontiguousarray(cents, dtype=np.int64)
    words = np.empty(2 * len(cents), dtype=np.int64)
    words[0::2] = cents
    words[1::2] = np.where(cents < 0, -1, 0)
    return pa.Array.from_buffers(pa.decimal128(18, 2), len(cents), [None, pa.py_buffer(words.tobytes())])


def join_text(*parts: pa.Array | str) -> pa.Array:
    """Element-wise concatenation of string arrays and constants."""
    return pc.binary_join_element_wise(*parts, "")
