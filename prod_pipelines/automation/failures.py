"""What went wrong in a run, read from its Dagster events: the same words for alerts and the CLI."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import dagster as dg


@dataclass(frozen=True)
class FailedCheck:
    """An ERROR check that failed in a run; `partition` is the day it judged, if it judged one."""

    asset: str
    check: str
    partition: str | None
    description: str

    def text(self) -> str:
        day = f" for {self.partition}" if self.partition else ""
        return f"{self.asset} {self.check}{day}" + (f": {self.description}" if self.description else "")


def failed_error_checks(events: Iterable[dg.DagsterEvent]) -> list[FailedCheck]:
    """Every ERROR check among `events` that did not pass, in event order."""
    failed = []
    for event in events:
        if event.event_type_value != dg.DagsterEventType.ASSET_CHECK_EVALUATION.value:
            continue
        evaluation = event.event_specific_data
        if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR:
            failed.append(FailedCheck(evaluation.asset_key.to_user_string(), evaluation.check_name,
                                      evaluation.partition, evaluation.description or ""))
    return failed


def step_failure_text(event: dg.DagsterEvent) -> str:
    """`<step>: <message>` with the innermost cause: the user's error, not Dagster's wrapper around it."""
    error = getattr(event.event_specific_data, "error", None)
    if error is None:
        return f"{event.step_key}: {event.message}"
    while error.cause is not None:
        error = error.cause
    return f"{event.step_key}: {error.message.strip()}"
