"""`prod-pipelines health`: per consumer, is it served within its SLA, and if not, what holds it back.

One report row per consumer, judged at a moment (now, or `--at`) from the warehouse alone, so a
cron job or a probe can run it without Dagster: the last good day delivered (the ledger's newest
successful sync), the day the SLA requires at that moment (delivery/sla.py) and how long it is
overdue, the due days it lacks with each day's verdict, the ERROR checks failing on the days it
has not received, and a newer sync attempt that failed or was refused. A consumer needs a person
when it is behind its SLA, when a check blocks a day it is waiting for, or when its last sync
attempt failed: then the command exits 1.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta

import duckdb

from prod_pipelines.completeness.verdict import current_verdicts
from prod_pipelines.delivery.consumers import Consumer
from prod_pipelines.delivery.sla import due_at, due_day

SHOWN_DAYS = 10  # missing days listed per consumer in the text report (the JSON lists all)


@dataclass(frozen=True)
class MissingDay:
    day: str
    reasons: list[str]


@dataclass(frozen=True)
class ConsumerHealth:
    """One consumer at one moment: what it holds against what its SLA requires."""

    consumer: str
    sla: str
    holds: str | None  # the last good day delivered
    delivered_at: str | None
    due: str  # the newest day the SLA requires now
    days_behind: int  # due days it is sent that it does not hold
    overdue_by: str | None  # since the deadline of the oldest of them
    missing_days: list[MissingDay]
    failing_checks: list[str]
    last_attempt: str | None  # a sync newer than the good one that failed or was refused

    @property
    def needs_person(self) -> bool:
        return bool(self.days_behind or self.failing_checks or self.last_attempt)

    def as_json(self) -> dict:
        return {**asdict(self), "needs_person": self.needs_person}


def judge(conn: duckdb.DuckDBPyConnection, consumers: list[Consumer], first_day: date,
          at: datetime) -> list[ConsumerHealth]:
    """Each consumer's health at `at`; days before `first_day` (the first partition) are never due."""
    verdicts = {v.day: v for v in current_verdicts(conn)}
    return [_one(conn, c, first_day, at, verdicts) for c in consumers]


def _one(conn, consumer: Consumer, first_day: date, at: datetime, verdicts: dict) -> ConsumerHealth:
    holds, delivered_at = _holds(conn, consumer.name)
    due = due_day(consumer, at)
    start = max(first_day, holds + timedelta(days=1)) if holds else first_day
    waiting = [d for d in _days(start, max(due, max(verdicts, default=due))) if consumer.sends_for(d.weekday())]
    behind = [d for d in waiting if d <= due]
    return ConsumerHealth(
        consumer=consumer.name, sla=consumer.sla, holds=_iso(holds), delivered_at=_stamp(delivered_at),
        due=due.isoformat(), days_behind=len(behind),
        overdue_by=_duration(at - due_at(consumer, behind[0])) if behind else None,
        missing_days=[MissingDay(d.isoformat(), _why_missing(verdicts.get(d))) for d in behind],
        failing_checks=_failing_checks(conn, waiting), last_attempt=_failed_attempt(conn, consumer.name))


def _holds(conn, consumer: str) -> tuple[date | None, datetime | None]:
    if not _exists(conn, "delivery", "syncs"):
        return None, None
    row = conn.execute("select partition_date, finished_at from delivery.syncs where consumer = ? and "
                       "status = 'succeeded' order by finished_at desc limit 1", [consumer]).fetchone()
    return (row[0], row[1]) if row else (None, None)


def _failed_attempt(conn, consumer: str) -> str | None:
    """The newest sync attempt, when it failed or was refused (a later success clears it)."""
    if not _exists(conn, "delivery", "syncs"):
        return None
    row = conn.execute("select status, partition_date, message from delivery.syncs where consumer = ? "
                       "order by started_at desc limit 1", [consumer]).fetchone()
    if row is None or row[0] not in ("failed", "refused"):
        return None
    return f"{row[0]} for {row[1]}: {row[2]}"


def _failing_checks(conn, days: list[date]) -> list[str]:
    if not days or not _exists(conn, "audit", "day_checks"):
        return []
    rows = conn.execute("select dt, asset || ':' || check_name, summary from audit.day_checks where not passed "
                        "and severity = 'ERROR' and dt in (select unnest(?::date[])) order by dt, 2",
                        [days]).fetchall()
    return [f"{day} {name}: {summary}" for day, name, summary in rows]


def _why_missing(verdict) -> list[str]:
    if verdict is None:
        return ["not judged yet: no run has computed this day (its feeds may not have arrived)"]
    if verdict.complete:
        return ["complete, but not delivered (see last_attempt, or run `prod-pipelines deliver`)"]
    return list(verdict.reasons)


def report(health: list[ConsumerHealth], at: datetime) -> str:
    """The text form: one line per consumer, then what needs a person under it."""
    lines = [f"Consumer health at {at:%Y-%m-%d %H:%M} UTC:",
             f"  {'consumer':<14} {'status':<14} {'holds':<10}  {'due':<10}  {'behind':>6}  {'overdue by':<10}  sla"]
    for h in health:
        status = "NEEDS A PERSON" if h.needs_person else "ok"
        lines.append(f"  {h.consumer:<14} {status:<14} {h.holds or 'nothing':<10}  {h.due:<10}  "
                     f"{h.days_behind:>6}  {h.overdue_by or '-':<10}  {h.sla}")
        for m in h.missing_days[-SHOWN_DAYS:]:
            lines.append(f"      missing {m.day}: {'; '.join(_short(r) for r in m.reasons)}")
        if len(h.missing_days) > SHOWN_DAYS:
            lines.append(f"      ... and {len(h.missing_days) - SHOWN_DAYS} older missing day(s) (--format json)")
        lines += [f"      failing check {c}" for c in h.failing_checks]
        if h.last_attempt:
            lines.append(f"      last sync {h.last_attempt}")
    return "\n".join(lines)


def _short(reason: str) -> str:
    """A failed check's name alone: its observed value and bound follow on its `failing check` line."""
    return reason.split(" failed: ")[0] + " failed" if " failed: " in reason else reason


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _duration(delta: timedelta) -> str:
    hours, minutes = divmod(int(delta.total_seconds()) // 60, 60)
    days, hours = divmod(hours, 24)
    return (f"{days}d" if days else "") + f"{hours}h{minutes:02d}m"


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _stamp(moment: datetime | None) -> str | None:
    return f"{moment:%Y-%m-%d %H:%M:%S%z}" if moment else None


def _exists(conn, schema: str, table: str) -> bool:
    return bool(conn.execute("select count(*) from information_schema.tables where table_schema = ? "
                             "and table_name = ?", [schema, table]).fetchone()[0])
