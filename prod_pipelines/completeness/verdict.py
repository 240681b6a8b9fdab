"""One verdict per as-of day, the same for every consumer: complete, or held back and why.

Grain of `audit.day_verdicts`: one row per as-of day D. D is complete only when the data shows it:
- every feed D needs has arrived and is loaded: the orders and inventory partitions of D, and a
  stores and a products snapshot at or before D (spec §1, rule 2), per `raw.partition_loads`;
- no ERROR check judged for D failed, and every check that must judge D did (`audit.day_checks`);
- the central result holds rows for D unless no store is a candidate at D (an empty day is complete
  only when the data says so); that the exports hold what the mart holds is itself such a check.

A verdict rests on the raw partitions loaded before it: once one of them at or before D is loaded
again (a late file), D's verdict no longer counts until the day is judged again. Delivery reads
nothing else: never "the newest materialization", never a day past the data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

import dagster as dg
import duckdb

from prod_pipelines.completeness.day_checks import ensure_table as ensure_day_checks
from prod_pipelines.dbt.project import QUALITY_MODEL
from prod_pipelines.landing.contracts import CONTRACTS

DDL = ("create table if not exists audit.day_verdicts (as_of_date date primary key, complete boolean not null, "
       "reasons varchar[] not null, decided_at timestamp not null, run_id varchar)")
QUALITY = f"marts.{QUALITY_MODEL}"


@dataclass(frozen=True)
class Verdict:
    day: date
    complete: bool
    reasons: tuple[str, ...] = ()

    @property
    def reason_text(self) -> str:
        return "; ".join(self.reasons)


def ensure_table(conn: duckdb.DuckDBPyConnection) -> None:
    ensure_day_checks(conn)
    conn.execute(DDL)


def decide(conn: duckdb.DuckDBPyConnection, days: list[date],
           required_checks: Iterable[dg.AssetCheckKey]) -> list[Verdict]:
    """Judges each day from the warehouse alone (raw loads, per-day check results, the day's figures)."""
    ensure_table(conn)
    required = {k.to_user_string() for k in required_checks}
    verdicts = []
    for day in days:
        reasons = [*_missing_feeds(conn, day), *_failed_checks(conn, day, required), *_empty_result(conn, day)]
        verdicts.append(Verdict(day, not reasons, tuple(reasons)))
    return verdicts


def record(conn: duckdb.DuckDBPyConnection, verdicts: list[Verdict], run_id: str) -> None:
    now = datetime.now(UTC).replace(tzinfo=None)
    conn.execute("begin transaction")
    try:
        conn.executemany("delete from audit.day_verdicts where as_of_date = ?", [[v.day] for v in verdicts])
        conn.executemany("insert into audit.day_verdicts values (?, ?, ?, ?, ?)",
                         [[v.day, v.complete, list(v.reasons), now, run_id] for v in verdicts])
        conn.execute("commit")
    except Exception:
        conn.execute("rollback")
        raise


def current_verdicts(conn: duckdb.DuckDBPyConnection) -> list[Verdict]:
    """Every recorded day, newest first; a verdict older than a reload it rests on counts as held back."""
    if not _exists(conn, "audit.day_verdicts"):
        return []
    rows = conn.execute(
        "select v.as_of_date, v.complete, v.reasons, "
        "(select max(l.dt) from raw.partition_loads as l where l.dt <= v.as_of_date and l.loaded_at > v.decided_at) "
        "from audit.day_verdicts as v order by v.as_of_date desc").fetchall()
    return [Verdict(day, False, (f"raw data of {reloaded} was loaded again after this day was judged; "
                                 "it is judged again by the run that recomputes it",))
            if reloaded is not None else Verdict(day, complete, tuple(reasons))
            for day, complete, reasons, reloaded in rows]


def newest_complete_day(conn: duckdb.DuckDBPyConnection, wanted: Callable[[date], bool] = lambda d: True
                        ) -> tuple[date | None, list[Verdict]]:
    """The newest complete day that `wanted` accepts (e.g. Mondays only), and the newer days held back."""
    held_back = []
    for verdict in (v for v in current_verdicts(conn) if wanted(v.day)):
        if verdict.complete:
            return verdict.day, held_back
        held_back.append(verdict)
    return None, held_back


def _missing_feeds(conn: duckdb.DuckDBPyConnection, day: date) -> list[str]:
    reasons = []
    for feed, contract in CONTRACTS.items():
        if contract.published_daily:
            found = conn.execute("select count(*) from raw.partition_loads where feed = ? and dt = ? and arrived",
                                 [feed, day]).fetchone()[0]
            if not found:
                reasons.append(f"{feed} dt={day} has not arrived (or is not loaded)")
        elif contract.is_snapshot:  # a reference snapshot may skip days, but one must be in force
            found = conn.execute("select count(*) from raw.partition_loads where feed = ? and dt <= ? and arrived",
                                 [feed, day]).fetchone()[0]
            if not found:
                reasons.append(f"no {feed} snapshot on or before {day} has been loaded")
    return reasons


def _failed_checks(conn: duckdb.DuckDBPyConnection, day: date, required: set[str]) -> list[str]:
    """Failed ERROR checks of the day, and required checks that have not judged it since its data last changed."""
    newest_load = conn.execute("select max(loaded_at) from raw.partition_loads where dt <= ?", [day]).fetchone()[0]
    judged = conn.execute("select asset || ':' || check_name, passed, severity, summary, judged_at "
                          "from audit.day_checks where dt = ? order by 1", [day]).fetchall()
    reasons = [f"{name} failed: {summary}" for name, passed, severity, summary, _ in judged
               if not passed and severity == dg.AssetCheckSeverity.ERROR.value]
    current = {name for name, *_, judged_at in judged if newest_load is None or judged_at >= newest_load}
    reasons += [f"{name} has not judged {day}" for name in sorted(required - {name for name, *_ in judged})]
    reasons += [f"{name} judged {day} before its raw data was loaded again" for name in sorted(
        (required & {name for name, *_ in judged}) - current)]
    return reasons


def _empty_result(conn: duckdb.DuckDBPyConnection, day: date) -> list[str]:
    if not _exists(conn, QUALITY):
        return [f"the central result has not been computed for {day}"]
    row = conn.execute(f"select candidate_stores, recommendations from {QUALITY} where as_of_date = ?",
                       [day]).fetchone()
    if row is None:
        return [f"the central result has not been computed for {day}"]
    candidates, recommendations = row
    if candidates and not recommendations:
        return [f"no recommendations for {day} although {candidates} store(s) are candidates"]
    return []


def _exists(conn: duckdb.DuckDBPyConnection, table: str) -> bool:
    schema, name = table.split(".")
    return bool(conn.execute("select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
                             [schema, name]).fetchone()[0])
