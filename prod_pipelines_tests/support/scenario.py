"""A delivered day D-1, copied per scenario, then day D processed with a planted upstream problem."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import duckdb

from prod_pipelines.landing.zone import partition_dir, read_as_text
from prod_pipelines.producers.synthetic import generate_landing
from prod_pipelines_tests.support.cli import run_cli

FIRST = date(2025, 3, 1)
GOOD_DAY = date(2025, 3, 11)  # D-1: delivered before every scenario
DAY = date(2025, 3, 12)  # D: the day each scenario breaks
NEXT_DAY = DAY + timedelta(days=1)  # D+1: a good day again
EXPORTS = ("exp_retailer_app__top_items", "exp_salesforce__store_recommendations", "exp_crm__weekly_email")


@dataclass
class Scenario:
    data_dir: Path

    @property
    def landing(self) -> Path:
        return self.data_dir / "landing"

    def process_day(self, day: date = DAY, *options: str):
        return run_cli("backfill", "--start", day.isoformat(), "--end", day.isoformat(), *options,
                       data_dir=self.data_dir, start_date=FIRST, check=False)

    def verdict(self, day: date = DAY) -> tuple[bool, list[str]] | None:
        rows = self.query("select complete, reasons from audit.day_verdicts where as_of_date = ?", [day])
        return rows[0] if rows else None

    def deliver(self):
        return run_cli("deliver", data_dir=self.data_dir, start_date=FIRST, check=False)

    def rewrite(self, feed: str, change) -> list[str]:
        """Applies `change` (a polars frame -> frame) to every file of feed's partition D, as CSV."""
        folder = partition_dir(self.landing, feed, DAY)
        names = []
        for path in sorted(folder.iterdir()):
            frame = change(read_as_text(path, feed))
            path.unlink()
            target = folder / (path.name.split(".")[0] + ".csv")
            frame.write_csv(target)
            names.append(str(target.relative_to(self.landing)))
        return names

    def query(self, sql: str, params=None):
        conn = duckdb.connect(str(self.data_dir / "warehouse.duckdb"), read_only=True)
        try:
            return conn.execute(sql, params or []).fetchall()
        finally:
            conn.close()

    def delivered(self) -> dict[str, date]:
        return dict(self.query("select consumer, max(partition_date) from delivery.syncs "
                               "where status = 'succeeded' group by 1"))

    def latest_check(self, asset: str, check: str):
        """The newest evaluation of a check, read from this data dir's Dagster instance."""
        instance = dg.DagsterInstance.from_config(str(self.data_dir / "dagster"))
        try:
            key = dg.AssetCheckKey(dg.AssetKey.from_user_string(asset), check)
            records = instance.event_log_storage.get_asset_check_execution_history(key, limit=1)
            return records[0].event.dagster_event.event_specific_data if records and records[0].event else None
        finally:
            instance.dispose()


def prepare_good_history(root: Path) -> Path:
    """Seeds FIRST..D+1 and runs the pipeline up to D-1 (delivered): the state every scenario starts from."""
    base = root / "base"
    generate_landing(base, FIRST, NEXT_DAY, scale=0.1)  # 100 stores: enough for coverage to be a signal
    run_cli("backfill", "--start", FIRST.isoformat(), "--end", GOOD_DAY.isoformat(), data_dir=base, start_date=FIRST)
    return base


def copy_of(base: Path, root: Path, name: str) -> Scenario:
    target = root / name
    shutil.copytree(base, target)
    return Scenario(target)


def last_monday_on_or_before(day: date) -> date:
    return day - timedelta(days=day.weekday())
