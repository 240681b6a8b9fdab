"""dbt tests judged per as-of day: each test's stored failing rows, grouped by the day they name.

A dbt test runs once over the run's window; its failing rows (kept by dbt as a view) carry the day
they concern (`as_of_date`, `day` or the test's `date_column`). Each day of the window gets its own
result: failed when a failing row names it, passed otherwise. A test whose failing rows name no day
fails every day of the window: without a day to blame, none is shown to be good.

A failing row may carry `observed_value` with `lower_bound` and/or `upper_bound` (the generic tests
in dbt_project/tests/generic name them so): the day's check then shows the observed value and its
bound as metadata, beside the sample of failing rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal

import dagster as dg

from prod_pipelines.completeness.day_checks import DayCheck
from prod_pipelines.dbt.project import relation
from prod_pipelines.warehouses.built import BuiltRelations

SAMPLE_ROWS = 5
MAX_FAILING_ROWS_READ = 10_000
DAY_COLUMNS = ("as_of_date", "day")


def judge_days(results: Iterable[dg.AssetCheckResult], days: list[date], built: BuiltRelations,
               nodes: Mapping[str, dict]) -> list[DayCheck]:
    checks = []
    for result in results:
        node = nodes.get(str(result.metadata["unique_id"].value), {}) if "unique_id" in result.metadata else {}
        if result.passed:
            checks += [DayCheck(result.asset_key, result.check_name, day, True, _declared_severity(node, result),
                                summary="no failing rows", metadata={"failing_rows": 0}) for day in days]
            continue
        rows, problem = _failing_rows(node, built)
        day_column = _day_column(node, rows)
        for day in days:
            failing = [r for r in rows if r.get(day_column) == day] if day_column else rows
            checks.append(DayCheck(
                result.asset_key, result.check_name, day, passed=not failing and not problem,
                severity=result.severity, summary=problem or _summary(failing),
                metadata={"failing_rows": len(failing), **_observed(failing),
                          "failing_rows_sample": [{k: str(v) for k, v in r.items()} for r in failing[:SAMPLE_ROWS]]}))
    return checks


def _observed(failing: list[dict]) -> dict[str, str]:
    """`observed_value` and `bound` of the day's first failing row, when the test returns them."""
    if not failing or failing[0].get("observed_value") is None:
        return {}
    row = failing[0]
    low, high = row.get("lower_bound"), row.get("upper_bound")
    if low is not None and high is not None:
        bound = f"= {_short(low)}" if low == high else f"between {_short(low)} and {_short(high)}"
    else:
        bound = f">= {_short(low)}" if low is not None else f"<= {_short(high)}" if high is not None else "n/a"
    return {"observed_value": _short(row["observed_value"]), "bound": bound}


def _declared_severity(node: dict, result: dg.AssetCheckResult) -> dg.AssetCheckSeverity:
    """A passing test's day carries the severity it would fail with (its `config.severity`): dagster-dbt
    says ERROR for every pass, which would make a day's record depend on the other days of its run."""
    declared = str(node.get("config", {}).get("severity", "")).lower()
    return {"warn": dg.AssetCheckSeverity.WARN, "error": dg.AssetCheckSeverity.ERROR}.get(declared, result.severity)


def _failing_rows(node: dict, built: BuiltRelations) -> tuple[list[dict], str | None]:
    if not node.get("relation_name"):
        return [], "the test's failing rows are not stored, so no day can be shown to be good"
    return built.rows(relation(node), MAX_FAILING_ROWS_READ).dicts(), None


def _day_column(node: dict, rows: list[dict]) -> str | None:
    declared = node.get("test_metadata", {}).get("kwargs", {}).get("date_column")
    present = set(rows[0]) if rows else set()
    return next((c for c in (declared, *DAY_COLUMNS) if c and c in present), None)


def _summary(failing: list[dict]) -> str:
    if not failing:
        return "no failing rows for this day"
    observed = _observed(failing)
    lead = f"observed {observed['observed_value']}, expected {observed['bound']}; " if observed else ""
    first = ", ".join(f"{k}={_short(v)}" for k, v in failing[0].items())
    return f"{lead}{len(failing)} failing row(s); first: {first}"


def _short(value) -> str:
    """A number as a person reads it: totals whole (123,457), shares and ratios to 4 digits (0.15)."""
    if not isinstance(value, float | Decimal):
        return str(value)
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{float(value):.4g}"
