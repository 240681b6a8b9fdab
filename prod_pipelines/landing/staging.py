"""Reading a range's landing files into the warehouse as typed, judged rows, in temporary tables.

`landing_staged`: one row per landing row, in file order (so `rowid` numbers the rows of a file),
with its day `dt`, its `_path`, each column typed, and `_f_<c>`: the column's failure (see
`sql_rules.failure_column`) or NULL. The text of a value is kept only when it fails.
`landing_files`: one row per file with its name relative to the landing root, its day, its row
count, its first rowid and, per typed column, how many values were present and how many failed
their type. `landing_rows`: the staged rows with their `rid`.
"""

from __future__ import annotations

import csv
import gzip
import threading
from datetime import date
from pathlib import Path

import duckdb

from prod_pipelines.landing.contracts import Contract
from prod_pipelines.landing.sql_rules import failure_column
from prod_pipelines.landing.zone import LandingError

_THREAD = threading.local()  # see _describer

TEMP_VIEWS = ("landing_rows",)
TEMP_TABLES = ("landing_failures", "landing_days", "landing_staged", "landing_files")
CSV_OPTIONS = "all_varchar = true, header = true, delim = ',', quote = '\"', escape = '\"'"


class Unreadable(Exception):
    """A file DuckDB cannot read: its partition stops, and the range is staged again without it."""

    def __init__(self, day: date, breach: LandingError):
        super().__init__(str(breach))
        self.day, self.breach = day, breach


def check_header(contract: Contract, landing_dir: Path, path: Path) -> tuple[str, ...]:
    """Every contract column must be in the file (extra columns are ignored).

    Returns the file's layout: a CSV file's header, or a Parquet file's types of the contract columns.
    Files of one layout are read in one scan; a scan of several layouts would need DuckDB's
    `union_by_name`, which holds every file open at once (measured: 34 files of SF 1 orders broke a
    1 GB cap), or would widen a Parquet column to fit the types of all files.
    """
    try:
        if path.name.endswith(".parquet"):
            described = dict(_describer().execute("select column_name, column_type from (describe select * from "
                                                  "read_parquet(?))", [str(path)]).fetchall())
            found, layout = set(described), ("parquet", *(described.get(c, "") for c in contract.names))
        else:
            opener = gzip.open if path.name.endswith(".gz") else open
            with opener(path, "rt", encoding="utf-8", newline="") as handle:
                header = next(csv.reader(handle), [])
            found, layout = set(header), ("csv", *header)
    except (duckdb.Error, OSError, UnicodeDecodeError, csv.Error) as error:
        raise _unreadable(contract, path, error) from None
    missing = [c for c in contract.names if c not in found]
    if missing:
        raise LandingError(contract.feed, str(path.relative_to(landing_dir)), f"missing column(s) {', '.join(missing)}")
    return layout


def _describer() -> duckdb.DuckDBPyConnection:
    """One in-memory connection per thread for reading Parquet footers: opening one per file cost 21 ms,
    reusing it 0.5 ms (measured), over hundreds of files per range."""
    conn = getattr(_THREAD, "describer", None)
    if conn is None:
        conn = _THREAD.describer = duckdb.connect()
    return conn


def stage(conn: duckdb.DuckDBPyConnection, contract: Contract, landing_dir: Path,
          files_by_day: dict[date, list[Path]], layouts: dict[Path, tuple[str, ...]]) -> None:
    """Reads every file once, in one scan per layout (see `check_header`); raises Unreadable naming the
    first file that cannot be read."""
    conn.execute("set TimeZone = 'UTC'")  # Parquet timestamps become text in UTC on any machine
    conn.execute("set preserve_insertion_order = true")  # rowids follow file order: row numbers rest on it
    files = [(str(p), str(p.relative_to(landing_dir)), day) for day, paths in sorted(files_by_day.items())
             for p in paths]
    conn.execute(f"create or replace temp table landing_staged as {_judged(contract, _empty(contract))} limit 0")
    alike: dict[tuple[str, ...], list[str]] = {}
    for path, _, _ in files:
        alike.setdefault(layouts[Path(path)], []).append(path)
    scans = [(paths, _parquet_source if layout[0] == "parquet" else _csv_source) for layout, paths in alike.items()]
    for paths, source in scans:
        try:
            conn.execute(f"insert into landing_staged {_judged(contract, source(contract, paths))}")
        except duckdb.Error:
            _find_unreadable(conn, contract, files, paths, source)
            raise
    conn.execute("create or replace temp table landing_files (path varchar, file varchar, dt date)")
    if files:
        conn.executemany("insert into landing_files values (?, ?, ?)", files)
    type_stats = ""
    for c in contract.typed_columns:
        mistyped = f"_f_{c.name}.rule = '{c.name}: {c.type_label()}'"
        type_stats += (f", count({c.name}) + count(*) filter (where {mistyped}) as present_{c.name}"
                       f", count(*) filter (where {mistyped}) as bad_{c.name}"
                       f", arg_min(_f_{c.name}.value, rowid) filter (where {mistyped}) as sample_{c.name}")
    conn.execute(
        "create or replace temp table landing_files as select f.*, coalesce(s.rows, 0) as rows, s.first_rowid"
        + "".join(f", s.present_{c.name}, s.bad_{c.name}, s.sample_{c.name}" for c in contract.typed_columns)
        + f" from landing_files f left join (select _path, count(*) as rows, min(rowid) as first_rowid{type_stats} "
        "from landing_staged group by _path) s on s._path = f.path")
    conn.execute("create or replace temp view landing_rows as select rowid as rid, * from landing_staged")


def whole_file_breaches(conn: duckdb.DuckDBPyConnection, contract: Contract) -> list[tuple[date, LandingError]]:
    """A column where no present value of a file has the right type is a schema change, not bad rows."""
    breaches: dict[date, LandingError] = {}
    for c in contract.typed_columns:  # within a day, the first column (in contract order) that breaks, then its file
        for day, file, sample in conn.execute(
                f"select dt, file, sample_{c.name} from landing_files "
                f"where present_{c.name} > 0 and bad_{c.name} = present_{c.name} order by dt, file").fetchall():
            breaches.setdefault(day, LandingError(contract.feed, file,
                                                  f"column {c.name}: no value is a {c.kind} (e.g. {sample!r})"))
    return sorted(breaches.items())


def drop(conn: duckdb.DuckDBPyConnection) -> None:
    for view in TEMP_VIEWS:
        conn.execute(f"drop view if exists {view}")
    for table in TEMP_TABLES:
        conn.execute(f"drop table if exists {table}")


def _judged(contract: Contract, source: str) -> str:
    """From text columns plus `_path`: `dt`, `_path`, the typed columns and each column's failure."""
    parsed = ", ".join([f"{c.parse_sql()} as {c.name}" for c in contract.columns]
                       + [f"{c.name} as _raw_{c.name}" for c in contract.typed_columns])
    failures = ", ".join(f"{failure_column(contract, c)} as _f_{c.name}" for c in contract.columns)
    return (f"select dt, _path, {', '.join(contract.names)}, {failures} from (select {parsed}, _path, "
            f"substr(string_split(_path, '/')[-2], 4)::date as dt from ({source}))")


def _empty(contract: Contract) -> str:
    return f"select {', '.join(f'null::varchar as {c}' for c in contract.names)}, '/dt=2000-01-01/f' as _path"


def _csv_source(contract: Contract, paths: list[str]) -> str:
    return (f"select {', '.join(contract.names)}, filename as _path "
            f"from read_csv({_list(paths)}, {CSV_OPTIONS}, filename = true)")


def _parquet_source(contract: Contract, paths: list[str]) -> str:
    columns = ", ".join(f"{c}::varchar as {c}" for c in contract.names)
    return f"select {columns}, filename as _path from read_parquet({_list(paths)}, filename = true)"


def _list(paths: list[str]) -> str:
    return "[" + ", ".join("'" + p.replace("'", "''") + "'" for p in paths) + "]"


def _find_unreadable(conn: duckdb.DuckDBPyConnection, contract: Contract, files: list[tuple[str, str, date]],
                     paths: list[str], source) -> None:
    """The scan of many files failed: read them one by one, in day order, to name the first broken one."""
    for path, _file, day in files:
        if path not in paths:
            continue
        try:
            conn.execute(f"select count(*) from ({source(contract, [path])})").fetchone()
        except duckdb.Error as error:
            raise Unreadable(day, _unreadable(contract, Path(path), error)) from None


def _unreadable(contract: Contract, path: Path, error: Exception) -> LandingError:
    first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
    return LandingError(contract.feed, str(path), f"unreadable file ({first_line})")
