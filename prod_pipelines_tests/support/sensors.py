"""Evaluate a run-status sensor on one finished run of a real Dagster instance, as the daemon would."""

from __future__ import annotations

import dagster as dg


def evaluate_run_sensor(sensor, instance: dg.DagsterInstance, run: dg.DagsterRun, resources: dict) -> None:
    """Runs `sensor` (a run-status or run-failure sensor) for `run`, which has finished."""
    failure = run.status == dg.DagsterRunStatus.FAILURE
    events = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.RUN_FAILURE if failure
                               else dg.DagsterEventType.RUN_SUCCESS)
    context = dg.build_run_status_sensor_context(sensor_name=sensor.name, dagster_event=events[0].dagster_event,
                                                 dagster_instance=instance, dagster_run=run, resources=resources)
    sensor(context.for_run_failure() if failure else context)
