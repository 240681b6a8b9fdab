"""Running the graph through a real Dagster instance: the same jobs, tags and run records as the UI."""

from __future__ import annotations

import os
import shutil
import socket
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import dagster as dg
import yaml

from prod_pipelines import definitions
from prod_pipelines.automation.failures import failed_error_checks, step_failure_text
from prod_pipelines.automation.run_classes import BACKFILL, DAILY, MAX_RUNTIME_TAG
from prod_pipelines.compat import execute_as_code_location
from prod_pipelines.delivery.guard import APPROVE_TAG
from prod_pipelines.partitions import range_tags
from prod_pipelines.settings import DAGSTER_PG_URL_VAR, REPO_ROOT, Settings

INSTANCE_TEMPLATES = Path(__file__).with_name("instance")
PID_TAG, HOST_TAG = "prod_pipelines/pid", "prod_pipelines/host"
QUIET = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}  # step events, not every debug line
# A CLI run executes in the operator's own process, which the daemon neither launched nor can stop:
# no daemon retry (the operator re-runs the command after a crash, and that re-run marks the dead run
# failed; a retry would run the range twice), and no max runtime (run monitoring would only mark the
# run failed while its process kept writing; 0 turns the instance's default off).
NOT_THE_DAEMONS = {"dagster/max_retries": "0", MAX_RUNTIME_TAG: "0"}


@dataclass(frozen=True)
class RunOutcome:
    job: str
    run_id: str
    success: bool  # the run succeeded and no ERROR check failed: every day it judged can be delivered
    error: str | None
    run_succeeded: bool = True  # Dagster's own status: False when a step failed


def prepare_dagster_home(settings: Settings) -> Path:
    """`<data dir>/dagster`, holding the instance's runs and events, so the UI sees what the CLI ran."""
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    if "postgres" in settings.dagster_instance_template:
        settings.require(DAGSTER_PG_URL_VAR)
    if not (home / "dagster.yaml").exists():
        shutil.copyfile(INSTANCE_TEMPLATES / settings.dagster_instance_template, home / "dagster.yaml")
        # Create the storage tables now, once: a webserver, a daemon and a CLI starting together on
        # a new instance would each try to create them ("table ... already exists").
        instance = dg.DagsterInstance.from_config(str(home))
        instance.get_run_records(limit=1)
        instance.dispose()
    return home


def code_location() -> str:
    """The name `workspace.yaml` gives the code location: CLI runs are filed under it, like the UI's."""
    entry = yaml.safe_load((REPO_ROOT / "workspace.yaml").read_text())["load_from"][0]["python_module"]
    return entry["location_name"]


def open_instance(settings: Settings) -> dg.DagsterInstance:
    settings.export(DAGSTER_HOME=str(prepare_dagster_home(settings)))
    return dg.DagsterInstance.get()


def run_partitions(instance: dg.DagsterInstance, start: date, end: date, approve_large_change: str | None = None,
                   feeds: list[str] | None = None) -> RunOutcome:
    """Ingest, dbt, exports and delivery for [start, end] as ONE run (single-run backfill policy).

    With `feeds`, only those raw feeds are reloaded (the others are left as loaded) and everything
    downstream is recomputed: what the late-data sensor asks for.
    """
    tags = {**range_tags(start, end), **BACKFILL.tags(), **NOT_THE_DAEMONS, **_approval(approve_large_change)}
    job = definitions.pipeline_job()
    selection = None
    if feeds:
        keys = job.asset_layer.asset_graph.get_all_asset_keys()
        selection = {k for k in keys if k.path[0] != "raw" or k.path[1] in feeds}
    return _execute(instance, dg.reconstructable(definitions.pipeline_job), tags, selection)


def run_delivery(instance: dg.DagsterInstance, approve_large_change: str | None = None) -> RunOutcome:
    """Send every consumer the newest complete partition of its export."""
    return _execute(instance, dg.reconstructable(definitions.delivery_job),
                    {**DAILY.tags(), **NOT_THE_DAEMONS, **_approval(approve_large_change)})


def _approval(consumers: str | None) -> dict[str, str]:
    """The run tag approving, for the named consumers (or `all`), a change beyond the blast-radius limit."""
    return {APPROVE_TAG: consumers} if consumers else {}


def mark_killed_runs_failed(instance: dg.DagsterInstance) -> list[str]:
    """Runs this machine's CLI started whose process is gone (killed, crashed) are marked failed, so
    the UI tells the truth; re-running the same command then finishes the work (every step replaces
    whole partitions, so there is nothing to clean up)."""
    reaped = []
    for record in instance.get_run_records(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED],
                                                         tags={HOST_TAG: socket.gethostname()})):
        run = record.dagster_run
        pid = int(run.tags.get(PID_TAG, "0"))
        if pid and not _alive(pid):
            instance.report_run_failed(run, message=f"the process {pid} that ran it is gone (killed or crashed)")
            instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)  # its `warehouse` pool slot
            reaped.append(run.run_id)
    return reaped


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _execute(instance: dg.DagsterInstance, job, tags: dict[str, str], selection=None) -> RunOutcome:
    mark_killed_runs_failed(instance)
    tags = {**tags, PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}
    with execute_as_code_location(job, instance, location_name=code_location(), module_name=definitions.__name__,
                                  working_directory=str(REPO_ROOT), tags=tags, run_config=QUIET,
                                  asset_selection=selection) as result:
        failed_checks = failed_error_checks(result.all_events)
        lines = [step_failure_text(e) for e in result.all_events if e.is_step_failure]
        lines += [f"check failed: {c.text()} (the day is held back for every consumer)" for c in failed_checks]
        success = result.success and not failed_checks
        error = None if success else "\n".join(lines) or "run failed"
        return RunOutcome(job=result.job_def.name, run_id=result.run_id, success=success, error=error,
                          run_succeeded=result.success)
