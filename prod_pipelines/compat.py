"""Names the pipeline needs from Dagster that Dagster does not export publicly.

Kept in one place so that an upgrade that moves one fails here, at import, and in
`test_compat.py`, rather than somewhere in the middle of a run.
"""

from dagster._core.definitions.asset_checks.asset_check_evaluation import (
    AssetCheckEvaluationTargetMaterializationData,  # which materialization a per-day check result judged
)

__all__ = ["AssetCheckEvaluationTargetMaterializationData"]
