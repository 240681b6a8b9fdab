"""The blast-radius guard: a sync that would replace too much of what a consumer holds is held back.

Churn is measured on the consumer's keys, not on values: recommendations' 90-day figures move every
day, but the set of recommended items should not. Replacing 60% of the rows means 60% of the keys
last sent disappear and as many new ones arrive: share = max(added, removed) / rows last sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from prod_pipelines.delivery.changes import Changes

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


def churn(changes: Changes) -> Churn:
    """The key churn of a sync, from its record-by-record comparison (changes.py)."""
    return Churn(previous_rows=len(changes.updated) + len(changes.kept) + len(changes.deleted),
                 added=len(changes.created), removed=len(changes.deleted))


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
