"""Row counts of loaded partitions against their own history: the "drop far beyond normal" guard.

A partition is compared with the median of the same weekday over the previous weeks, because
demand (and so order lines) follows the week: a quiet Sunday is normal, a quiet Tuesday is not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from statistics import median

import duckdb

WEEKS_OF_HISTORY = 4
MIN_HISTORY = 2


@dataclass(frozen=True)
class Bounds:
    """Accepted rows of a partition must lie within [low, high] x the same-weekday median."""

    low: float = 0.3
    high: float = 3.0


@dataclass(frozen=True)
class CountVerdict:
    day: date
    rows: int
    median: float | None
    low: float | None
    high: float | None

    @property
    def dropped(self) -> bool:
        """Far fewer rows than usual: a broken delivery (spec §4), which stops the partition."""
        return self.median is not None and self.rows < self.low

    @property
    def grew(self) -> bool:
        """Far more rows than usual: worth a look (a new chain onboarding?), not a reason to stop."""
        return self.median is not None and self.rows > self.high

    @property
    def ok(self) -> bool:
        return not (self.dropped or self.grew)


def judge_row_counts(conn: duckdb.DuckDBPyConnection, feed: str, days: list[date],
                     bounds: Bounds) -> list[CountVerdict]:
    """One verdict per loaded day; days with fewer than MIN_HISTORY earlier same-weekday partitions pass."""
    first = min(days) - timedelta(weeks=WEEKS_OF_HISTORY)
    counts = dict(conn.execute(
        f"select dt, count(*) from raw.{feed} where dt >= ? and dt <= ? group by dt", [first, max(days)]).fetchall())
    verdicts = []
    for day in days:
        history = [counts[d] for w in range(1, WEEKS_OF_HISTORY + 1) if (d := day - timedelta(weeks=w)) in counts]
        rows = counts.get(day, 0)
        if len(history) < MIN_HISTORY:
            verdicts.append(CountVerdict(day, rows, None, None, None))
            continue
        mid = median(history)
        verdicts.append(CountVerdict(day, rows, mid, bounds.low * mid, bounds.high * mid))
    return verdicts
