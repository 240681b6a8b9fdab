"""What a delivery would do, without doing it: per consumer, the day it would send, whether it would
be sent, skipped or refused by the blast-radius guard, and the rows it would create, update and
delete against what the consumer holds, with a sample of each (before and after for updates).

`prod-pipelines deliver --dry-run` prints it; nothing is written, sent or recorded. The decision is
the delivery's own (`sync.skip_reason`, `guard.churn`), so the preview cannot disagree with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import duckdb
import pyarrow as pa

from prod_pipelines.completeness.verdict import newest_complete_day
from prod_pipelines.delivery.changes import compare, sample_lines
from prod_pipelines.delivery.consumers import Consumer
from prod_pipelines.delivery.guard import DEFAULT_MAX_SHARE, churn
from prod_pipelines.delivery.ledger import Ledger
from prod_pipelines.delivery.sync import skip_reason
from prod_pipelines.warehouse import content_digest


@dataclass(frozen=True)
class Plan:
    consumer: str
    export: str
    partition: date | None
    action: str  # send | skip: <why> | refuse: <why> | nothing complete to send
    rows: int = 0
    created: int = 0
    updated: int = 0
    deleted: int = 0
    samples: dict[str, list] = field(default_factory=dict)  # created / deleted: rows; updated: before/after


def export_rows(conn: duckdb.DuckDBPyConnection, consumer: Consumer, partition: date) -> tuple[pa.Table, str]:
    """The day of the consumer's pinned export version that a delivery sends, and its content digest."""
    rows = conn.sql(f"select * from {consumer.export_relation} where as_of_date = ? order by all",
                    params=[partition]).to_arrow_table()
    return rows, content_digest(conn, consumer.export_relation, "as_of_date = ?", [partition])[1]


def plan(conn: duckdb.DuckDBPyConnection, ledger: Ledger, consumer: Consumer, approved: bool) -> Plan:
    partition, _ = newest_complete_day(conn, lambda day: consumer.sends_for(day.weekday()))
    if partition is None:
        return Plan(consumer.name, consumer.export_label, None, "nothing complete to send")
    rows, digest = export_rows(conn, consumer, partition)
    current = ledger.current(consumer.name)
    previous = ledger.sent(current) if current is not None else None
    changes = compare(previous, rows, consumer.key)
    if reason := skip_reason(ledger, consumer, partition, digest):
        action = f"skip: {reason}"
    else:
        change, limit = churn(changes), consumer.max_change_share or DEFAULT_MAX_SHARE
        action = "send" if change.share <= limit or approved else (
            f"refuse: would replace {change.share:.0%} of the rows last sent (limit {limit:.0%}); "
            f"approve with --approve-large-change {consumer.name}")
    return Plan(consumer.name, consumer.export_label, partition, action, rows.num_rows,
                len(changes.created), len(changes.updated), len(changes.deleted), samples=changes.samples())


def render(plans: list[Plan]) -> str:
    lines = []
    for p in plans:
        day = f"{p.partition}, {p.rows} rows" if p.partition else "no day"
        lines.append(f"{p.consumer} ({p.export}, {day}): {p.action}")
        if p.partition:
            lines.append(f"  {p.created} created, {p.updated} updated, {p.deleted} deleted against what it holds")
        lines += [f"  {line}" for line in sample_lines(p.samples)]
    return "\n".join(lines)
