"""The private Dagster names the pipeline relies on still exist with the shape it uses."""

from prod_pipelines.compat import AssetCheckEvaluationTargetMaterializationData


def test_a_check_evaluation_can_still_name_the_materialization_it_judged():
    target = AssetCheckEvaluationTargetMaterializationData(run_id="r", storage_id=7, timestamp=1.5)
    assert (target.run_id, target.storage_id, target.timestamp) == ("r", 7, 1.5)
