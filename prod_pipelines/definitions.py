"""The only place a `Definitions` is built: raw -> staging -> intermediate -> marts -> exports -> destinations.

Loaded lazily (`@dg.definitions`): importing this module builds nothing. Building reads the dbt
manifest prepared at install time (`make install`); only a working tree whose dbt files changed
since is parsed again.
"""

from __future__ import annotations

import os
import warnings
from functools import cache

import dagster as dg
from dagster_dbt import get_asset_key_for_model

from prod_pipelines.assets.dbt_models import build_dbt_assets
from prod_pipelines.assets.deliveries import build_destination_asset
from prod_pipelines.assets.freshness import freshness_checks, freshness_sensor
from prod_pipelines.assets.raw import build_raw_assets
from prod_pipelines.assets.verdicts import build_verdict_asset
from prod_pipelines.automation.alerts import AlertSink, alert_on_failed_error_checks, alert_on_run_failure
from prod_pipelines.automation.arrival import arrival_sensor
from prod_pipelines.automation.late_data import late_data_sensor
from prod_pipelines.automation.run_classes import BACKFILL, DAILY
from prod_pipelines.compat import DbtCliResourceWithoutVersionProbe
from prod_pipelines.dbt.project import DBT_PROJECT, QUALITY_MODEL
from prod_pipelines.delivery.consumers import consumers as all_consumers
from prod_pipelines.delivery.destinations.resource import resource_key, target_for
from prod_pipelines.partitions import daily_partitions
from prod_pipelines.resources import LandingZone
from prod_pipelines.settings import ALERT_WEBHOOK_VAR, DAGSTER_PG_URL_VAR, DBT_EXECUTABLE, Settings
from prod_pipelines.sqlite_commits import SQLITE_FSYNC_VAR, commit_without_fsync
from prod_pipelines.warehouse import Warehouse

PIPELINE_JOB = "pipeline"
DELIVERY_JOB = "deliver"


def build_definitions(settings: Settings) -> dg.Definitions:
    """Every asset, check, sensor, job and resource for `settings` (its environment and data dir)."""
    with warnings.catch_warnings():
        # Single-run backfill policies and pools are marked beta; they are the point of this design.
        warnings.filterwarnings("ignore", category=dg.BetaWarning)
        warnings.filterwarnings("ignore", category=dg.PreviewWarning)
        # Freshness gates and alerts through asset checks (history per asset, severity, evaluable at a
        # frozen time in tests); the destinations also carry a FreshnessPolicy for the UI's badge.
        # Not the partitioned exports: a backfill of old days would count as fresh there.
        warnings.filterwarnings("ignore", category=dg.SupersessionWarning)
        return _build(settings)


def _build(settings: Settings) -> dg.Definitions:
    if "postgres" in settings.dagster_instance_template:
        settings.require(DAGSTER_PG_URL_VAR)
    elif os.environ.get(SQLITE_FSYNC_VAR) != "1":
        commit_without_fsync()  # the run writing thousands of events to SQLite (sqlite_commits.py)
    partitions = daily_partitions(settings.start_date)
    dbt_models = build_dbt_assets(partitions)
    consumers = all_consumers()
    raw_assets = build_raw_assets(partitions)
    # Each consumer's pinned version of its export (a versioned export's other versions are built, not sent).
    export_keys = [dg.AssetKey.from_user_string(c.export_asset) for c in consumers]
    assert set(export_keys) <= dbt_models.keys, f"exports not among the dbt assets: {export_keys}"
    # The raw feeds (their loads), the exports and the day's figures; every dbt test on the marts and
    # exports must have judged the day.
    verdicts = build_verdict_asset(
        partitions, upstream=[*(a.key for a in raw_assets), *export_keys,
                              get_asset_key_for_model([dbt_models], QUALITY_MODEL)],
        required_checks=[k for k in dbt_models.check_keys if k.asset_key.path[0] in ("marts", "exports")])
    targets = {c.name: target_for(c, settings) for c in consumers}  # in dev, a local file drop unless a URL is set
    destinations = [build_destination_asset(c, key, verdicts.key, targets[c.name].kind)
                    for c, key in zip(consumers, export_keys, strict=True)]
    freshness = freshness_checks(raw_assets, consumers)
    # The job's partitions are the assets' own (every partitioned asset shares `partitions`).
    # A run of it nobody classed (the UI's Materialize, `dagster job launch`) queues as a backfill;
    # the sensors' run requests carry the daily and late-data classes instead.
    pipeline = dg.define_asset_job(
        PIPELINE_JOB, selection=dg.AssetSelection.all(), tags=BACKFILL.tags(),
        description="Ingest -> dbt -> exports -> delivery for a partition or a range, as one run.")
    return dg.Definitions(
        assets=[*raw_assets, dbt_models, verdicts, *destinations],
        asset_checks=freshness,
        sensors=[arrival_sensor(settings.landing_dir, PIPELINE_JOB, settings.start_date, verdicts.key,
                                running=settings.automation_running),
                 freshness_sensor(freshness), late_data_sensor(settings.landing_dir, PIPELINE_JOB, verdicts.key,
                                                               running=settings.automation_running),
                 alert_on_run_failure, alert_on_failed_error_checks],
        jobs=[
            pipeline,
            dg.define_asset_job(DELIVERY_JOB, selection=dg.AssetSelection.groups("destinations"), tags=DAILY.tags(),
                                description="Send each consumer the newest complete partition of its export."),
        ],
        resources={
            "landing": LandingZone(root=str(settings.landing_dir)),
            "warehouse": Warehouse.of(settings),
            "dbt": DbtCliResourceWithoutVersionProbe(project_dir=DBT_PROJECT, dbt_executable=DBT_EXECUTABLE,
                                                     target=settings.dbt_target),
            **{resource_key(consumer): targets[consumer.name] for consumer in consumers},
            "alerts": alert_sink(settings),
        },
        executor=dg.in_process_executor,
        loggers={"console": dg.json_console_logger if settings.log_format == "json" else dg.colored_console_logger},
    )


def alert_sink(settings: Settings) -> AlertSink:
    webhook = dg.EnvVar(ALERT_WEBHOOK_VAR) if ALERT_WEBHOOK_VAR in settings.variables_set else None
    return AlertSink(webhook_url=webhook, fallback_file=str(settings.data_dir / "alerts.jsonl"))


@dg.definitions
def defs() -> dg.Definitions:
    """The code location: built on first use from the environment (settings.py), once per process."""
    return _from_environment()


@cache
def _from_environment() -> dg.Definitions:
    return build_definitions(Settings.from_env())


def pipeline_job() -> dg.JobDefinition:
    """Module-level handle so runs can be reconstructed in a Dagster instance (CLI, tests)."""
    return defs().resolve_job_def(PIPELINE_JOB)


def delivery_job() -> dg.JobDefinition:
    return defs().resolve_job_def(DELIVERY_JOB)
