"""The private Dagster names and version quirks the pipeline relies on still hold, with the shape it uses."""

import re
import subprocess
from datetime import UTC, datetime

from prod_pipelines import compat
from prod_pipelines.compat import AssetCheckEvaluationTargetMaterializationData, DbtCliResourceWithoutVersionProbe
from prod_pipelines.dbt.project import DBT_PROJECT
from prod_pipelines.settings import DBT_EXECUTABLE


def test_a_check_evaluation_can_still_name_the_materialization_it_judged():
    target = AssetCheckEvaluationTargetMaterializationData(run_id="r", storage_id=7, timestamp=1.5)
    assert (target.run_id, target.storage_id, target.timestamp) == ("r", 7, 1.5)


def test_the_range_tags_are_the_ones_a_ui_backfill_sets():
    assert compat.ASSET_PARTITION_RANGE_START_TAG == "dagster/asset_partition_range_start"
    assert compat.ASSET_PARTITION_RANGE_END_TAG == "dagster/asset_partition_range_end"


def test_a_deadline_cron_still_yields_its_ticks():
    ticks = compat.cron_string_iterator(datetime(2025, 1, 6, tzinfo=UTC).timestamp(), "0 9 * * 1", "UTC")
    assert [next(ticks).isoformat() for _ in range(2)] == ["2025-01-06T09:00:00+00:00", "2025-01-13T09:00:00+00:00"]


def test_the_dbt_version_assumed_without_probing_is_the_one_that_runs():
    probed = subprocess.run([DBT_EXECUTABLE, "--version"], capture_output=True, text=True, check=True).stdout
    running = re.search(r"(\d+\.\d+\.\d+)", probed).group(1)
    resource = DbtCliResourceWithoutVersionProbe(project_dir=DBT_PROJECT, dbt_executable=DBT_EXECUTABLE)
    assert str(resource._cli_version) == running
