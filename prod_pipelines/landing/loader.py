"""Loading landing partitions into `raw.<feed>`: one set-based pass per feed and range, in the warehouse.

Every file of every day of the range is read once by DuckDB, typed, judged by every rule of the
contract as SQL (`sql_rules`), and the accepted rows, the rejects and the load records are written
in one transaction per batch of whole days. A file that breaks the contract as a whole (missing column, unreadable, a
column with no value of its type, an empty or wholly rejected snapshot) stops the range at its
day: the days before it load, that day and the ones after do not.

Grain of `raw.<feed>`: one row per accepted landing row, with its partition `dt`, its source file
(relative to the landing root) and its 1-based row number in that file.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from prod_pipelines.landing import staging
from prod_pipelines.landing.contracts import Contract
from prod_pipelines.landing.sql_rules import duplicates_sql
from prod_pipelines.landing.zone import LandingError, partition_files

# Text read per batch of days: at SF 1 a batch is a week or two of inventory, all the orders of a month.
BATCH_BYTES = 256 * 1024 * 1024
EXPANSION = {".gz": 4, ".parquet": 3}  # how much larger a file's rows are once read, against its size on disk

REJECTS_DDL = (
    "create table if not exists raw.rejects (feed varchar, dt date, file varchar, row_number bigint, "
    "rule varchar, column_name varchar, value varchar)"
)
# One row per feed and partition the raw layer has loaded: the fact that a day arrived (an orders day
# may hold no lines), when, and what it held. Written in the range's own transaction.
LOADS_DDL = (
    "create table if not exists raw.partition_loads (feed varchar not null, dt date not null, "
    "arrived boolean not null, files integer, rows_read bigint, rows_accepted bigint, rows_rejected bigint, "
    "loaded_at timestamp not null)"
)


@dataclass
class PartitionLoad:
    """What loading one partition did: the numbers a materialization records."""

    day: date
    files: list[str] = field(default_factory=list)
    rows_read: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    arrived: bool = True


@dataclass
class RangeLoad:
    """The days loaded (in order), and the breach that stopped the range at the next day, if any."""

    loads: list[PartitionLoad]
    stop: LandingError | None = None
    seconds: dict[str, float] = field(default_factory=dict)  # per phase, summed over batches: read, rules, write


def ensure_tables(conn: duckdb.DuckDBPyConnection, contract: Contract) -> None:
    conn.execute("create schema if not exists raw")
    conn.execute(
        f"create table if not exists raw.{contract.feed} "
        f"(dt date not null, {contract.sql_columns()}, _source_file varchar, _row_number bigint)"
    )
    conn.execute(REJECTS_DDL)
    conn.execute(LOADS_DDL)


def load_partition(conn: duckdb.DuckDBPyConnection, contract: Contract, landing_dir: Path, day: date) -> PartitionLoad:
    """Validates and replaces one partition; raises LandingError on a contract breach."""
    result = load_range(conn, contract, landing_dir, [day])
    if result.stop is not None:
        raise result.stop
    return result.loads[0]


def load_range(conn: duckdb.DuckDBPyConnection, contract: Contract, landing_dir: Path,
               days: list[date], batch_bytes: int = BATCH_BYTES) -> RangeLoad:
    """Validates and replaces the partitions `days` (ascending), one set-based pass per batch of days.

    A batch holds as many days as fit `batch_bytes` of text (files weighed by how much they expand
    when read), so that memory stays under the warehouse's cap at any scale; each batch is one
    transaction, and no day is ever split or half-written.
    """
    clock = _Clock()
    listed, layouts, breaches = _list(contract, landing_dir, days)
    loads: list[PartitionLoad] = []
    for batch in _batches([d for d in days if d in listed], listed, batch_bytes):
        batch_loads, stop = _load_batch(conn, contract, landing_dir, {d: listed[d] for d in batch},
                                        layouts, clock)
        loads += batch_loads
        if stop is not None:
            return RangeLoad(loads, stop, clock.seconds)
    return RangeLoad(loads, breaches.get(_first(breaches)), clock.seconds)


def _load_batch(conn: duckdb.DuckDBPyConnection, contract: Contract, landing_dir: Path,
                listed: dict[date, list[Path] | None], layouts: dict[Path, tuple[str, ...]],
                clock: _Clock) -> tuple[list[PartitionLoad], LandingError | None]:
    breaches: dict[date, LandingError] = {}
    while True:
        arrived = {d: files for d, files in listed.items() if files is not None and d < _first(breaches)}
        try:
            staging.stage(conn, contract, landing_dir, arrived, layouts)
            break
        except staging.Unreadable as error:  # stage again without the day of the first unreadable file
            breaches[error.day] = error.breach
    clock.lap("read")
    _collect_failures(conn, contract)
    counts = _day_counts(conn)
    snapshots = _snapshot_breaches(contract, {day: counts.get(day, (0, 0)) for day in arrived})
    for day, breach in [*staging.whole_file_breaches(conn, contract), *snapshots]:
        breaches.setdefault(day, breach)
    clock.lap("rules")
    stop_day = _first(breaches)
    loads = [_partition_load(landing_dir, day, files, counts.get(day)) for day, files in listed.items()
             if day < stop_day]
    if loads:
        _write(conn, contract, loads, stop_day)
    clock.lap("write")
    staging.drop(conn)
    return loads, breaches.get(stop_day)


def _batches(days: list[date], listed: dict[date, list[Path] | None], budget: int) -> list[list[date]]:
    """Consecutive days, as many per batch as fit the budget (a day larger than it is a batch alone)."""
    batches: list[list[date]] = []
    used = budget
    for day in days:
        size = sum(p.stat().st_size * EXPANSION.get(_suffix(p), 1) for p in listed[day] or [])
        if used + size > budget or not batches:
            batches.append([])
            used = 0
        batches[-1].append(day)
        used += size
    return batches


def _suffix(path: Path) -> str:
    return ".gz" if path.name.endswith(".gz") else path.suffix


def _list(contract: Contract, landing_dir: Path, days: list[date]
          ) -> tuple[dict[date, list[Path] | None], dict[Path, tuple[str, ...]], dict[date, LandingError]]:
    """Each day's files and each file's layout, up to the first day that breaks the contract before any
    row is read."""
    listed: dict[date, list[Path] | None] = {}
    layouts: dict[Path, tuple[str, ...]] = {}
    for day in days:
        try:
            files = partition_files(landing_dir, contract.feed, day)
            if files is None and contract.published_daily:
                raise LandingError(contract.feed, f"dt={day}",
                                   "has not arrived (no landing folder yet); everything downstream waits for it")
            for path in files or []:
                layouts[path] = staging.check_header(contract, landing_dir, path)
        except LandingError as breach:
            return listed, layouts, {day: breach}
        listed[day] = files
    return listed, layouts, {}


def _first(breaches: dict[date, LandingError]) -> date:
    """The first day not to load: the earliest breach, or none (date.max)."""
    return min(breaches, default=date.max)


def _collect_failures(conn: duckdb.DuckDBPyConnection, contract: Contract) -> None:
    """`landing_failures`: one row per broken rule of a row (the row rules met in staging, then duplicates)."""
    flags = [f"_f_{c}" for c in contract.names]
    conn.execute(
        "create or replace temp table landing_failures as "
        "select rid, dt, _path, f.rule, f.column_name, f.value from ("
        f"select rid, dt, _path, unnest(list_filter([{', '.join(flags)}], lambda f: f is not null)) as f "
        f"from landing_rows where {' or '.join(f'{x} is not null' for x in flags)}) "
        f"union all {duplicates_sql(contract, 'landing_rows')}")


def _day_counts(conn: duckdb.DuckDBPyConnection) -> dict[date, tuple[int, int]]:
    """Rows read and rows rejected per day."""
    rows = conn.execute(
        "select f.dt, sum(f.rows)::bigint, coalesce(max(r.rejected), 0)::bigint from landing_files f "
        "left join (select dt, count(distinct rid) as rejected from landing_failures group by dt) r using (dt) "
        "group by f.dt").fetchall()
    return {day: (read, rejected) for day, read, rejected in rows}


def _snapshot_breaches(contract: Contract, counts: dict[date, tuple[int, int]]) -> list[tuple[date, LandingError]]:
    problems = [(day, contract.snapshot_breach(read, read - rejected)) for day, (read, rejected) in counts.items()]
    return sorted((day, LandingError(contract.feed, f"dt={day}", problem)) for day, problem in problems if problem)


def _partition_load(landing_dir: Path, day: date, files: list[Path] | None,
                    counts: tuple[int, int] | None) -> PartitionLoad:
    if files is None:
        return PartitionLoad(day=day, arrived=False)
    read, rejected = counts or (0, 0)
    return PartitionLoad(day=day, files=[str(p.relative_to(landing_dir)) for p in files], rows_read=read,
                         rows_accepted=read - rejected, rows_rejected=rejected)


def _write(conn: duckdb.DuckDBPyConnection, contract: Contract, loads: list[PartitionLoad], stop_day: date) -> None:
    """Replaces the loaded days in raw, the rejects and the load records, all or nothing."""
    feed, now = contract.feed, datetime.now(UTC).replace(tzinfo=None)
    conn.execute("create or replace temp table landing_days as select unnest(?::date[]) as dt",
                 [[x.day for x in loads]])
    conn.execute("begin transaction")
    try:
        conn.execute(f"delete from raw.{feed} where dt in (select dt from landing_days)")
        conn.execute("delete from raw.rejects where feed = ? and dt in (select dt from landing_days)", [feed])
        conn.execute("delete from raw.partition_loads where feed = ? and dt in (select dt from landing_days)", [feed])
        conn.execute(
            f"insert into raw.{feed} select s.dt, {', '.join(f's.{c}' for c in contract.names)}, f.file, "
            "s.rid - f.first_rowid + 1 from landing_rows s join landing_files f on s._path = f.path "
            "where s.dt < ? and s.rid not in (select rid from landing_failures)", [stop_day])
        conn.execute(
            "insert into raw.rejects select ?, r.dt, f.file, r.rid - f.first_rowid + 1, r.rule, r.column_name, r.value "
            "from (select rid, dt, _path, string_agg(rule, '; ' order by rule) as rule, "
            "string_agg(column_name, ', ' order by rule) as column_name, "
            "string_agg(coalesce(value, ''), '; ' order by rule) as value from landing_failures group by all) r "
            "join landing_files f on r._path = f.path where r.dt < ? order by r.dt, f.file, r.rid", [feed, stop_day])
        conn.executemany("insert into raw.partition_loads values (?, ?, ?, ?, ?, ?, ?, ?)", [
            [feed, x.day, x.arrived, len(x.files), x.rows_read, x.rows_accepted, x.rows_rejected, now] for x in loads])
        conn.execute("commit")
    except Exception:
        conn.execute("rollback")
        raise


class _Clock:
    def __init__(self):
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        self.seconds[phase] = round(self.seconds.get(phase, 0.0) + now - self._last, 3)
        self._last = now
