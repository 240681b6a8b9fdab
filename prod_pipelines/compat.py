"""Names the pipeline needs from Dagster that Dagster does not export publicly.

Kept in one place so that an upgrade that moves one fails here, at import, and in
`test_compat.py`, rather than somewhere in the middle of a run. No other module of the package
imports from `dagster._`; a test holds that line.
"""

from functools import cached_property
from importlib import metadata

from dagster._core.definitions.asset_checks.asset_check_evaluation import (
    AssetCheckEvaluationTargetMaterializationData,  # which materialization a per-day check result judged
)
from dagster._core.execution.backfill import BulkActionStatus  # tests wait for a UI backfill to finish
from dagster._core.storage.tags import (  # the tags a single-run backfill over a range carries
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)
from dagster._core.test_utils import freeze_time  # tests evaluate freshness at a chosen time
from dagster._utils import run_with_concurrent_update_guard  # one dbt parse at a time on a shared manifest
from dagster._utils.schedules import cron_string_iterator  # the ticks of a consumer's deadline cron
from dagster_dbt import DbtCliResource
from packaging import version

__all__ = ["ASSET_PARTITION_RANGE_END_TAG", "ASSET_PARTITION_RANGE_START_TAG",
           "AssetCheckEvaluationTargetMaterializationData", "BulkActionStatus", "DbtCliResourceWithoutVersionProbe",
           "cron_string_iterator", "freeze_time", "run_with_concurrent_update_guard"]


class DbtCliResourceWithoutVersionProbe(DbtCliResource):
    """dagster-dbt's dbt resource, minus the `dbt --version` subprocess it starts in every run (1.8 s CPU).

    The dbt it runs is this environment's own (settings.DBT_EXECUTABLE, beside the Python running
    Dagster), so its version is the installed dbt-core's; `test_compat.py` proves the two agree.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(metadata.version("dbt-core"))
