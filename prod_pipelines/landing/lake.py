"""The raw layer published as Parquet, for engines that cannot read the DuckDB file (Apache Spark).

Layout (hive): `<lake>/<feed>/dt=<day>/` holds the day's accepted rows of `raw.<feed>` (every column
but `dt`, which the folder names), and `<lake>/rejects/feed=<feed>/dt=<day>/` its rejects. It is a
copy of what the validated load just committed to `raw.<feed>`, not a second ingest: the contract
is judged once, in the warehouse (loader.py).

A day is replaced whole: its files are written under a temporary folder, then the folder is moved
into place (a rename on the same file system). A reader sees the old day or the new one, never half
of either; for the instant between the two renames it may see no folder for that day at all. A day
that loaded no rows (an orders day without lines) has no folder, so a re-run that empties a day
also removes its old folder.
"""

from __future__ import annotations

import shutil
import uuid
from datetime import date
from pathlib import Path

import duckdb


def publish(conn: duckdb.DuckDBPyConnection, feed: str, days: list[date], lake_dir: Path) -> None:
    """Replaces the folders of `days` of `feed` (and of its rejects) with what `raw` holds for them now."""
    if not days:
        return
    conn.execute("create or replace temp table lake_days as select unnest(?::date[]) as dt", [days])
    _replace_days(conn, f"select * from raw.{feed} where dt in (select dt from lake_days)", lake_dir / feed, days)
    _replace_days(conn, "select * exclude (feed) from raw.rejects "
                        f"where feed = '{feed}' and dt in (select dt from lake_days)",
                  lake_dir / "rejects" / f"feed={feed}", days)


def _replace_days(conn: duckdb.DuckDBPyConnection, query: str, root: Path, days: list[date]) -> None:
    root.mkdir(parents=True, exist_ok=True)
    staged = root / f".staged-{uuid.uuid4().hex}"
    try:
        # One pass writes every day's folder (`dt=<day>/`); days without rows get none.
        conn.execute(f"copy ({query}) to '{staged}' (format parquet, partition_by (dt), filename_pattern 'part_{{i}}')")
        for day in days:
            _swap(staged / f"dt={day.isoformat()}", root / f"dt={day.isoformat()}")
    finally:
        shutil.rmtree(staged, ignore_errors=True)


def _swap(new: Path, live: Path) -> None:
    """Moves `new` into `live`'s place (or just removes `live` when the day has no rows now)."""
    retired = live.with_name(f".retired-{uuid.uuid4().hex}-{live.name}")
    if live.exists():
        live.rename(retired)
    if new.exists():
        new.rename(live)
    shutil.rmtree(retired, ignore_errors=True)
