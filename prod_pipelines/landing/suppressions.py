"""Suppressions in force (spec §6): what each consumer asked the centre not to recommend, and what ends soon.

Every suppression ends by itself at `expires_on`; the ones ending within REVIEW_DAYS are listed so
that each is reviewed before it lapses: dropped, renewed, or turned into a central business rule.
Read from `raw.suppressions` (the accepted requests); the model applies the same rule (rule 10).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta

import duckdb

from prod_pipelines.landing.contracts import CONSUMER_NAMES

REVIEW_DAYS = 14


@dataclass(frozen=True)
class Suppression:
    store_id: str
    sku_id: str
    requested_by: str
    reason: str
    requested_on: date
    expires_on: date


def in_force(conn: duckdb.DuckDBPyConnection, day: date) -> list[Suppression]:
    """Requests published on or before `day` whose last day (`expires_on`) is `day` or later."""
    if not conn.execute("select count(*) from information_schema.tables "
                        "where table_schema = 'raw' and table_name = 'suppressions'").fetchone()[0]:
        return []
    rows = conn.execute(
        "select store_id, sku_id, requested_by, reason, dt, expires_on from raw.suppressions "
        "where dt <= ? and expires_on >= ? order by expires_on, requested_by, store_id, sku_id", [day, day]).fetchall()
    return [Suppression(*row) for row in rows]


def expiring(suppressions: list[Suppression], day: date) -> list[Suppression]:
    """Those whose last day falls within the review window: `day` .. `day` + REVIEW_DAYS."""
    return [s for s in suppressions if s.expires_on <= day + timedelta(days=REVIEW_DAYS)]


def review(conn: duckdb.DuckDBPyConnection, day: date) -> dict:
    """Per consumer, how many suppressions are in force on `day` and how many end within the review window."""
    active = in_force(conn, day)
    ending = expiring(active, day)
    return {
        "as_of": day.isoformat(),
        "in_force": {c: sum(s.requested_by == c for s in active) for c in CONSUMER_NAMES},
        f"expiring_within_{REVIEW_DAYS}_days": {c: sum(s.requested_by == c for s in ending) for c in CONSUMER_NAMES},
        "expiring": [{k: str(v) for k, v in asdict(s).items()} for s in ending],
    }
