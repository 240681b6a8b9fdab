"""What every destination promises: make the consumer's copy equal to the rows it is given, and say what it did.

A destination only sends what it is given; choosing is the delivery asset's job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

import pyarrow as pa


@dataclass(frozen=True)
class Receipt:
    """What a sync left at the destination, for the ledger and the asset's metadata."""

    location: str
    rows: int
    added: int = 0
    changed: int = 0
    removed: int = 0
    rejected: dict[str, str] = field(default_factory=dict)  # external id -> the consumer's reason


class Destination(Protocol):
    """Makes the consumer's copy equal to `rows`, atomically from the consumer's point of view.

    `key` names the columns that identify a row for the consumer (its external id); `previous` is
    what the last successful sync sent (None for the first), so a destination that can apply
    changes sends only rows added, changed or removed since then. Rolling back is a sync of an
    older table with the current one as `previous`.

    A destination that accepts records one by one (the CRM's API) may refuse some of them: it applies
    the rest and lists the refused ones in `Receipt.rejected`. `retry` names the external ids refused
    before and not yet accepted: such a destination sends them again whatever `previous` says. A
    destination that replaces the whole copy at once refuses all or nothing and can ignore `retry`.
    """

    def sync(self, consumer: str, partition: date, rows: pa.Table, key: list[str],
             previous: pa.Table | None, retry: frozenset[str] = frozenset()) -> Receipt: ...
