"""Late-arriving data: a file added to, replaced in or removed from a partition that was already loaded.

The sensor compares each landing partition's fingerprint (`published_partitions`) with the time of
its last scan. A change to a partition the raw layer has loaded asks for ONE run that reloads the
changed feeds and recomputes every as-of day the change reaches: orders of day X feed the marts of
X..X+sales_window_days-1, a stores or products snapshot of X every day until the next snapshot, inventory only X.
The run covers days that exist (up to the newest day judged); it ends with the delivery assets,
which re-send only the newest partition and only if its content changed. A burst of files is
coalesced: changes younger than SETTLE_SECONDS wait for the next tick, and one tick makes one run.
Its runs are the `late_data` class: behind the daily run, ahead of backfills (run_classes.py).
"""

import json
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import dagster as dg

from prod_pipelines.automation.run_classes import LATE_DATA
from prod_pipelines.dbt import project
from prod_pipelines.landing.contracts import CONTRACTS
from prod_pipelines.landing.zone import published_partitions
from prod_pipelines.partitions import range_tags

SETTLE_SECONDS = 60
LATE_TAG = "prod_pipelines/late_partitions"


@dataclass(frozen=True)
class LateChange:
    feed: str
    day: date


def affected_days(change: LateChange, published: dict[date, float], newest: date | None) -> tuple[date, date]:
    """The as-of days whose results a change can alter, clipped to the days already computed."""
    if change.feed == "orders":
        end = change.day + timedelta(days=project.sales_window_days() - 1)
    elif CONTRACTS[change.feed].published_daily:
        end = change.day
    else:
        later = [d for d in published if d > change.day]
        end = min(later) - timedelta(days=1) if later else date.max
    return change.day, max(change.day, min(end, newest or change.day))


def late_data_sensor(landing_dir: Path, job_name: str, judged: dg.AssetKey, settle_seconds: int = SETTLE_SECONDS,
                     running: bool = True) -> dg.SensorDefinition:
    """`judged` is the day verdict asset: its partitions are the days already computed."""
    @dg.sensor(name="late_data_sensor", job_name=job_name, minimum_interval_seconds=60,
               default_status=dg.DefaultSensorStatus.RUNNING if running else dg.DefaultSensorStatus.STOPPED,
               description="Re-processes landing partitions that changed after they were loaded (late files).")
    def sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
        scan_until = time.time() - settle_seconds
        if context.cursor is None:
            return dg.SensorResult(skip_reason="first tick: remembering the landing zone as it is",
                                   cursor=json.dumps({"scanned_until": scan_until}))
        since = json.loads(context.cursor)["scanned_until"]
        changes, ranges, published_by_feed = [], [], {}
        newest = _newest_partition(context.instance, judged)
        for feed in CONTRACTS:
            published = published_by_feed[feed] = published_partitions(landing_dir, feed)
            loaded = context.instance.get_materialized_partitions(dg.AssetKey(["raw", feed]))
            for day, fingerprint in sorted(published.items()):
                if since < fingerprint <= scan_until and day.isoformat() in loaded:
                    change = LateChange(feed, day)
                    changes.append(change)
                    ranges.append(affected_days(change, published, newest))
        cursor = json.dumps({"scanned_until": max(since, scan_until)})
        if not changes:
            return dg.SensorResult(skip_reason="no loaded partition changed", cursor=cursor)
        start, end = min(r[0] for r in ranges), max(r[1] for r in ranges)
        feeds = sorted({c.feed for c in changes})
        selection = [dg.AssetKey(["raw", f]) for f in feeds]
        late = ",".join(f"{c.feed}:{c.day.isoformat()}" for c in changes)
        context.log.info(f"late data in {late}: re-processing {start}..{end}")
        return dg.SensorResult(cursor=cursor, run_requests=[dg.RunRequest(
            run_key=f"late-{start}-{end}-{scan_until:.0f}",
            asset_selection=selection + _downstream_of_raw(context),
            tags={**range_tags(start, end), **LATE_DATA.tags(), LATE_TAG: late[:4000]},
        )])

    return sensor


def _newest_partition(instance: dg.DagsterInstance, key: dg.AssetKey) -> date | None:
    keys = instance.get_materialized_partitions(key)
    return max((date.fromisoformat(k) for k in keys), default=None)


def _downstream_of_raw(context: dg.SensorEvaluationContext) -> list[dg.AssetKey]:
    """Every asset that is not raw: dbt models and deliveries (unchanged feeds are not reloaded)."""
    graph = context.repository_def.asset_graph
    return sorted((k for k in graph.get_all_asset_keys() if k.path[0] != "raw"), key=lambda k: k.to_user_string())
