"""Finding and reading the files of one landing partition `landing/<feed>/dt=YYYY-MM-DD/`."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import polars as pl

SUFFIXES = (".csv", ".csv.gz", ".parquet")


class LandingError(Exception):
    """A file or partition breaks the landing contract as a whole; the partition stops here."""

    def __init__(self, feed: str, location: str, problem: str):
        super().__init__(f"{feed}: {location}: {problem}")
        self.feed, self.location, self.problem = feed, location, problem


def partition_dir(landing_dir: Path, feed: str, day: date) -> Path:
    return landing_dir / feed / f"dt={day.isoformat()}"


def partition_files(landing_dir: Path, feed: str, day: date) -> list[Path] | None:
    """The files of a partition in name order, or None when the folder has not arrived.

    Names starting with `.` or `_` (temp files, success markers) are not data; any other file
    must carry one of the contract's suffixes.
    """
    folder = partition_dir(landing_dir, feed, day)
    if not folder.is_dir():
        return None
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith((".", "_")))
    for path in files:
        if not path.name.endswith(SUFFIXES):
            raise LandingError(feed, str(path), f"unexpected file type; expected one of {', '.join(SUFFIXES)}")
    return files


def read_as_text(path: Path, feed: str) -> pl.DataFrame:
    """Every column of one file as text, rows in file order."""
    try:
        if path.name.endswith(".parquet"):
            conn = duckdb.connect()
            try:
                conn.execute("set TimeZone = 'UTC'")  # timestamps become text in UTC on any machine
                source = str(path).replace("'", "''")
                return conn.sql(f"select columns(*)::varchar from read_parquet('{source}', "
                                "hive_partitioning = false)").pl()
            finally:
                conn.close()
        return pl.read_csv(path, has_header=True, separator=",", infer_schema=False, encoding="utf8")
    except (duckdb.Error, pl.exceptions.PolarsError, OSError, UnicodeDecodeError) as error:
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise LandingError(feed, str(path), f"unreadable file ({first_line})") from None


def published_partitions(landing_dir: Path, feed: str) -> dict[date, float]:
    """Every `dt=` folder of a feed with its fingerprint: the newest mtime of the folder and its files.

    A folder's mtime moves when a file is added, removed or renamed into it, a file's when it is
    rewritten: together they change whenever the partition's content can have changed.
    """
    root = landing_dir / feed
    found: dict[date, float] = {}
    if not root.is_dir():
        return found
    for folder in root.iterdir():
        if not (folder.is_dir() and folder.name.startswith("dt=")):
            continue
        try:
            day = date.fromisoformat(folder.name[3:])
        except ValueError:
            continue
        found[day] = max([folder.stat().st_mtime, *(p.stat().st_mtime for p in folder.iterdir() if p.is_file())])
    return found
