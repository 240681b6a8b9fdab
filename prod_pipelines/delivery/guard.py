"""The blast-radius guard: a sync that would replace too much of what a consumer holds is held back.

Churn is measured on the consumer's keys, not on values: recommendations' 90-day figures move every
day, but the set of recommended items should not. Replacing 60% of the rows means 60% of the keys
last sent disappear and as many new ones arrive: share = max(added, removed) / rows last sent.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

DEFAULT_MAX_SHARE = 0.30
APPROVE_TAG = "prod_pipelines/approve_large_change"


class BlastRadiusExceeded(Exception):
    """Refused, not skipped: the run fails so that the alerting sees it."""


@dataclass(frozen=True)
class Churn:
    previous_rows: int
    added: int
    removed: int

    @property
    def share(self) -> float:
        return max(self.added, self.removed) / self.previous_rows if self.previous_rows else 0.0


def churn(previous: pa.Table | None, rows: pa.Table, key: list[str]) -> Churn:
    if previous is None:
        return Churn(0, rows.num_rows, 0)
    old, new = _keys(previous, key), _keys(rows, key)
    return Churn(previous_rows=len(old), added=len(new - old), removed=len(old - new))


def approved(consumer: str, tag_value: str | None) -> bool:
    """The run tag names the consumers whose large change is approved (comma-separated, or `all`)."""
    names = {n.strip() for n in (tag_value or "").split(",")}
    return "all" in names or consumer in names


def enforce(consumer: str, change: Churn, max_share: float, is_approved: bool) -> None:
    if change.share <= max_share or is_approved:
        return
    raise BlastRadiusExceeded(
        f"{consumer}: refused a sync that would replace {change.share:.0%} of the {change.previous_rows} rows last "
        f"sent ({change.added} added, {change.removed} removed; the limit is {max_share:.0%}). If the change is "
        f"intended, re-run the delivery with tag {APPROVE_TAG}={consumer}.")


def _keys(table: pa.Table, key: list[str]) -> set[tuple]:
    return set(zip(*(table.column(k).to_pylist() for k in key), strict=True)) if table.num_rows else set()
