"""Freshness: each feed's daily partition and each consumer's delivery have a deadline.

Feeds: partition D must be loaded by 09:00 UTC on D+1 (WARN: late data is chased, not paged).
Deliveries: each consumer's `meta.consumer.deadline_cron` (its SLA); missing it is ERROR.
The checks are evaluated by a sensor, so a late feed is reported even when nothing runs.
"""

import dagster as dg

from prod_pipelines.assets.deliveries import delivery_key
from prod_pipelines.delivery.consumers import Consumer
from prod_pipelines.delivery.sla import TIMEZONE, deadline_period

FEED_DEADLINE_CRON = "0 9 * * *"


def freshness_checks(raw_assets: list[dg.AssetsDefinition],
                     consumers: list[Consumer]) -> list[dg.AssetChecksDefinition]:
    checks = list(dg.build_time_partition_freshness_checks(
        assets=raw_assets, deadline_cron=FEED_DEADLINE_CRON, timezone="UTC", severity=dg.AssetCheckSeverity.WARN))
    for consumer in consumers:
        checks += dg.build_last_update_freshness_checks(
            assets=[delivery_key(consumer)],
            deadline_cron=consumer.deadline_cron,
            lower_bound_delta=deadline_period(consumer.deadline_cron),
            timezone=TIMEZONE,
            severity=dg.AssetCheckSeverity.ERROR,
        )
    return checks


def freshness_sensor(checks: list[dg.AssetChecksDefinition]) -> dg.SensorDefinition:
    return dg.build_sensor_for_freshness_checks(freshness_checks=checks, minimum_interval_seconds=600)

