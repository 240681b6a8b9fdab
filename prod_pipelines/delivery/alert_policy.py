"""The alert policy: a consumer's signal notifies when its state changes, not on every sync or run.

The signals are measured on the consumer's newest successful sync in the ledger (`delivery.syncs`):
the share of records the destination rejected, the drop in rows against the median of its previous
successful syncs, and how long the sync took; each is ok, warn or critical by the consumer's
thresholds (alert_thresholds.py). A signal notifies when it rises above the level it holds (ok -> warn,
warn -> critical), stays silent while it does not (warn again, or critical easing to warn: one incident,
not a flapping stream), and sends one recovery when it is ok again.

A fourth signal, `delivery`, is the delivery step itself: critical when it fails, with the failure's
signature (its error with numbers and ids blanked), ok when it next succeeds. Retries that fail the
same way are silent; a different failure notifies again.

`delivery.alert_state` holds one row per consumer and signal: the level held (the highest reached
since it was last ok), the value last measured and on which sync. It is a warehouse table rather than
a sensor cursor because the policy is evaluated by the destination asset, which already holds the
warehouse and the ledger the signals come from: the state changes with the data it describes,
survives restarts and redeploys, and anyone can query it. A state is saved only once its
notification went out, so a notification that failed to send is sent again at the next evaluation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from statistics import median

import duckdb

from prod_pipelines.delivery.alert_thresholds import LEVELS, MIN_VOLUME_HISTORY, AlertThresholds, Threshold
from prod_pipelines.delivery.ledger import SYNCS_DDL

STATE_DDL = """
create schema if not exists delivery;
create table if not exists delivery.alert_state (
    consumer varchar not null,
    signal varchar not null,
    level varchar not null,        -- ok | warn | critical: the highest reached since it was last ok
    value double,                  -- the value last measured
    sync_id varchar,               -- the sync it was measured on
    signature varchar,             -- for the delivery signal: the failure it holds
    changed_at timestamptz not null,
    primary key (consumer, signal)
);
"""

DELIVERY = "delivery"  # the signal of the delivery step itself


@dataclass(frozen=True)
class Measurement:
    signal: str
    value: float
    level: str
    detail: str  # the value, what it was compared with, and the thresholds, in words


@dataclass(frozen=True)
class Change:
    """The state a signal moves to after a measurement, and the notification it owes, if any."""

    consumer: str
    sync_id: str | None
    partition: date | None
    measurement: Measurement
    held: str  # the level held before
    level: str  # the level held after
    notification: str | None  # warn | critical | resolved, or None when the change is silent
    signature: str | None = None


def evaluate(conn: duckdb.DuckDBPyConnection, consumer: str, thresholds: AlertThresholds) -> list[Change]:
    """The state of each signal of `consumer` after its newest successful sync; nothing is saved."""
    conn.execute(SYNCS_DDL + STATE_DDL)
    syncs = conn.execute(
        "select sync_id, partition_date, rows, coalesce(rejected, 0), "
        "date_diff('millisecond', started_at, finished_at) / 1000.0 from delivery.syncs "
        "where consumer = ? and action = 'sync' and status = 'succeeded' order by finished_at desc limit ?",
        [consumer, thresholds.volume_history + 1]).fetchall()
    if not syncs:
        return []
    (sync_id, partition, rows, rejected, seconds), previous = syncs[0], [s[2] for s in syncs[1:]]
    held = dict(conn.execute("select signal, level from delivery.alert_state where consumer = ?",
                             [consumer]).fetchall())
    return [_change(consumer, sync_id, partition, m, held.get(m.signal, "ok"))
            for m in measure(thresholds, rows or 0, rejected, seconds, previous)]


def measure(thresholds: AlertThresholds, rows: int, rejected: int, seconds: float,
            previous_rows: list[int]) -> list[Measurement]:
    """The signals of one sync of `rows` rows; `previous_rows` are the consumer's syncs before it."""
    found = [_measurement("rejected_share", thresholds.rejected_share, rejected / rows if rows else 0.0,
                          f"{rejected} of {rows} records rejected"),
             _measurement("duration_seconds", thresholds.duration_seconds, seconds, f"the sync took {seconds:.0f}s")]
    if len(previous_rows) >= MIN_VOLUME_HISTORY:
        usual = median(previous_rows)
        drop = max(0.0, 1 - rows / usual) if usual else 0.0
        found.append(_measurement("volume_drop", thresholds.volume_drop, drop,
                                  f"{rows} rows sent, {drop:.0%} below the median of {usual:g} over the "
                                  f"previous {len(previous_rows)} syncs"))
    return found


def delivery_change(conn: duckdb.DuckDBPyConnection, consumer: str, failure: str | None,
                    run_id: str | None = None) -> Change:
    """The delivery signal after a delivery step that succeeded (`failure` None) or failed with `failure`
    in run `run_id` (whose failed or refused sync, if the ledger has one, names the day and sync)."""
    conn.execute(SYNCS_DDL + STATE_DDL)
    held, held_signature = conn.execute(
        "select level, signature from delivery.alert_state where consumer = ? and signal = ?",
        [consumer, DELIVERY]).fetchone() or ("ok", None)
    if failure is None:
        return _change(consumer, None, None, Measurement(DELIVERY, 0.0, "ok", "the delivery succeeded"), held)
    sync_id, partition = conn.execute(
        "select sync_id, partition_date from delivery.syncs where consumer = ? and run_id = ? "
        "and status in ('failed', 'refused') order by started_at desc limit 1", [consumer, run_id]).fetchone() or (
        None, None)
    signature = failure_signature(failure)
    repeated = held == "critical" and held_signature == signature
    return Change(consumer, sync_id, partition, Measurement(DELIVERY, 1.0, "critical", failure), held, "critical",
                  None if repeated else "critical", signature)


def failure_signature(failure: str) -> str:
    """What stays the same when a delivery fails the same way again: the error without numbers or ids."""
    return re.sub(r"[0-9a-f]{8,}|\d+", "#", failure)[:500]


def save(conn: duckdb.DuckDBPyConnection, change: Change) -> None:
    """Records the level a signal now holds (after its notification, if it owed one, was sent)."""
    conn.execute(
        "insert into delivery.alert_state as s (consumer, signal, level, value, sync_id, signature, changed_at) "
        "values (?, ?, ?, ?, ?, ?, ?) on conflict (consumer, signal) do update set level = excluded.level, "
        "value = excluded.value, sync_id = excluded.sync_id, signature = excluded.signature, "
        "changed_at = case when s.level = excluded.level and s.signature is not distinct from excluded.signature "
        "then s.changed_at else excluded.changed_at end",
        [change.consumer, change.measurement.signal, change.level, change.measurement.value, change.sync_id,
         change.signature, datetime.now(UTC)])


def _measurement(signal: str, threshold: Threshold, value: float, observed: str) -> Measurement:
    shown = (lambda v: f"{v:g}s") if signal == "duration_seconds" else (lambda v: f"{v:.1%}")
    level = threshold.level(value)
    return Measurement(signal, value, level, f"{observed} ({signal} {shown(value)}; warn at "
                                             f"{shown(threshold.warn)}, critical at {shown(threshold.critical)})")


def _change(consumer: str, sync_id: str | None, partition: date | None, measured: Measurement, held: str) -> Change:
    if measured.level == "ok":
        return Change(consumer, sync_id, partition, measured, held, "ok", None if held == "ok" else "resolved")
    if LEVELS.index(measured.level) > LEVELS.index(held):
        return Change(consumer, sync_id, partition, measured, held, measured.level, measured.level)
    return Change(consumer, sync_id, partition, measured, held, held, None)
