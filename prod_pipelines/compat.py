"""Names the pipeline needs from Dagster that Dagster does not export publicly.

Kept in one place so that an upgrade that moves one fails here, at import, and in
`test_compat.py`, rather than somewhere in the middle of a run. No other module of the package
imports from `dagster._`; a test holds that line.
"""

import sys
from collections.abc import Mapping, Set
from functools import cached_property
from importlib import metadata
from typing import Any

import dagster as dg
from dagster._core.definitions.asset_checks.asset_check_evaluation import (
    AssetCheckEvaluationTargetMaterializationData,  # which materialization a per-day check result judged
)
from dagster._core.definitions.reconstruct import ReconstructableJob
from dagster._core.definitions.repository_definition.valid_definitions import (
    SINGLETON_REPOSITORY_NAME,  # the repository a code location built from one `Definitions` holds
)
from dagster._core.execution.api import execute_run  # a run created with the code location's origin
from dagster._core.execution.backfill import BulkActionStatus  # tests wait for a UI backfill to finish
from dagster._core.remote_origin import (  # the origin the UI files a run under (its job, its timeline)
    ManagedGrpcPythonEnvCodeLocationOrigin,
    RemoteJobOrigin,
    RemoteRepositoryOrigin,
)
from dagster._core.storage.tags import (  # the tags a single-run backfill over a range carries
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)
from dagster._core.test_utils import freeze_time  # tests evaluate freshness at a chosen time
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
from dagster._utils import run_with_concurrent_update_guard  # one dbt parse at a time on a shared manifest
from dagster._utils.schedules import cron_string_iterator  # the ticks of a consumer's deadline cron
from dagster_dbt import DbtCliResource
from packaging import version

__all__ = ["ASSET_PARTITION_RANGE_END_TAG", "ASSET_PARTITION_RANGE_START_TAG",
           "AssetCheckEvaluationTargetMaterializationData", "BulkActionStatus", "DbtCliResourceWithoutVersionProbe",
           "cron_string_iterator", "execute_as_code_location", "freeze_time", "run_with_concurrent_update_guard"]


class DbtCliResourceWithoutVersionProbe(DbtCliResource):
    """dagster-dbt's dbt resource, minus the `dbt --version` subprocess it starts in every run (1.8 s CPU).

    The dbt it runs is this environment's own (settings.DBT_EXECUTABLE, beside the Python running
    Dagster), so its version is the installed dbt-core's; `test_compat.py` proves the two agree.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(metadata.version("dbt-core"))


def execute_as_code_location(job: ReconstructableJob, instance: dg.DagsterInstance, *, location_name: str,
                             module_name: str, working_directory: str, tags: Mapping[str, str],
                             run_config: Mapping[str, Any], asset_selection: Set[dg.AssetKey] | None
                             ) -> dg.JobExecutionResult:
    """`dg.execute_job`, but the run carries the origin of the code location the UI loads.

    `execute_job` records no origin, so the UI lists such a run under no job (its runs are filtered
    by the `.dagster/repository` label the origin gives), leaves it off the timeline and warns on
    re-execution. Same steps otherwise: the run is created on the instance, then executed here.
    """
    repository = job.repository.get_definition()
    job = job.with_repository_load_data(repository.repository_load_data)
    location = ManagedGrpcPythonEnvCodeLocationOrigin(
        loadable_target_origin=LoadableTargetOrigin(executable_path=sys.executable, module_name=module_name,
                                                    working_directory=working_directory),
        location_name=location_name)
    run = instance.create_run_for_job(
        job_def=job.get_definition(), run_config=run_config, tags=tags,
        asset_selection=frozenset(asset_selection) if asset_selection else None,
        remote_job_origin=RemoteJobOrigin(RemoteRepositoryOrigin(location, SINGLETON_REPOSITORY_NAME),
                                          job.get_definition().name),
        job_code_origin=job.get_python_origin(), repository_load_data=repository.repository_load_data)
    return execute_run(job, run, instance, raise_on_error=False)
