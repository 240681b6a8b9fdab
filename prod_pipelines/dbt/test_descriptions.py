"""What a dbt test checks, in words, for the asset check it becomes: YAML's `description` when the test
has one, else a sentence rendered from the generic test and its arguments (one sentence per generic
test, so forty uses of `unique_in_window` need no forty copies of the same text)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Sentence = Callable[[Mapping[str, Any]], str]

GENERIC: dict[str, Sentence] = {
    "not_null_in_window": lambda a: f"On each day, every row has a value in {', '.join(a['columns'])}.",
    "unique_in_window": lambda a: f"On each day, no two rows share ({', '.join(a['columns'])}).",
    "rows_match_mart": lambda a: ("On each day, the export holds exactly the mart's rows up to its store rank "
                                  "limit (meta.max_store_rank): no logic of its own."),
    "recommendation_coverage": lambda a: (
        f"Share of active stores with at least one recommendation: at least {a.get('min_share', 0.2)}, and at "
        f"least {a.get('min_ratio_to_recent', 0.7)}x the median of the previous {a.get('recent_days', 7)} days "
        f"once that median covers {a.get('min_stores', 30)} stores."),
    "daily_total_near_recent": lambda a: (
        f"The day's total of {a['column_name']} lies within {a.get('low', 0.5)}x-{a.get('high', 2.0)}x the "
        "median of the same weekday over the previous four weeks (once two of them exist)."),
    "near_recent": lambda a: (f"The day's {a['column_name']} is not far beyond the median of the days before it "
                              f"(above {a.get('floor', 0)} and {a.get('max_ratio')}x that median)."),
}


def describe(test: Mapping[str, Any]) -> str | None:
    """The test's YAML description, or its generic test's sentence; None for a test of neither kind."""
    if test.get("description"):
        return " ".join(test["description"].split())
    metadata = test.get("test_metadata") or {}
    sentence = GENERIC.get(metadata.get("name", ""))
    return sentence(metadata.get("kwargs", {})) if sentence else None
