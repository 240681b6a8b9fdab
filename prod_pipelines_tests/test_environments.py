"""dev, staging and prod differ only in configuration: same assets, checks, jobs; secrets from the environment."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import dagster as dg
import pytest

from prod_pipelines.definitions import PIPELINE_JOB, build_definitions
from prod_pipelines.settings import REPO_ROOT, Settings

DUMMY_SECRETS = {
    "PROD_PIPELINES_RETAILER_APP_URL": "s3://retailer-app-drop/top-items",
    "PROD_PIPELINES_SALESFORCE_URL": "https://crm.example.invalid/api",
    "PROD_PIPELINES_SALESFORCE_TOKEN": "dummy-token",
    "PROD_PIPELINES_CRM_EMAIL_URL": "postgresql://app@db.example.invalid/marketing",
    "PROD_PIPELINES_DAGSTER_PG_URL": "postgresql://dagster@db.example.invalid/dagster",
}


def settings_for(env: str, tmp_path: Path, variables: dict[str, str]) -> Settings:
    return Settings.from_env({"PROD_PIPELINES_ENV": env, "PROD_PIPELINES_DATA_DIR": str(tmp_path), **variables})


def shape(defs: dg.Definitions) -> dict:
    graph = defs.resolve_asset_graph()
    return {
        "assets": sorted(k.to_user_string() for k in graph.get_all_asset_keys()),
        "checks": sorted(f"{k.asset_key.to_user_string()}:{k.name}" for k in graph.asset_check_keys),
        "jobs": sorted(j.name for j in defs.resolve_all_job_defs()),
        "schedules": sorted(s.name for s in defs.schedules or []),
        "sensors": sorted(s.name for s in defs.sensors or []),
    }


def test_every_environment_has_the_same_assets_checks_jobs_and_automation(tmp_path):
    shapes = {env: shape(build_definitions(settings_for(env, tmp_path, DUMMY_SECRETS)))
              for env in ("dev", "staging", "prod")}
    assert shapes["dev"] == shapes["staging"] == shapes["prod"]
    assert len(shapes["dev"]["assets"]) == 19 and len(shapes["dev"]["checks"]) > 50


def test_only_configuration_differs_between_environments(tmp_path):
    dev = build_definitions(settings_for("dev", tmp_path, {}))
    prod = build_definitions(settings_for("prod", tmp_path, DUMMY_SECRETS))
    assert dev.resources["destination_salesforce"].kind == "file_drop"
    assert prod.resources["destination_salesforce"].kind == "http_api"
    assert prod.resources["dbt"].target == "prod" and dev.resources["dbt"].target == "dev"
    schedule = lambda d: next(iter(d.schedules)).default_status  # noqa: E731
    assert schedule(dev) == dg.DefaultScheduleStatus.STOPPED and schedule(prod) == dg.DefaultScheduleStatus.RUNNING


@pytest.mark.parametrize("missing", ["PROD_PIPELINES_SALESFORCE_TOKEN", "PROD_PIPELINES_CRM_EMAIL_URL",
                                     "PROD_PIPELINES_DAGSTER_PG_URL"])
def test_a_missing_secret_in_prod_fails_fast_naming_the_variable(tmp_path, missing):
    variables = {k: v for k, v in DUMMY_SECRETS.items() if k != missing}
    with pytest.raises(ValueError, match=missing):
        build_definitions(settings_for("prod", tmp_path, variables))


def test_secrets_reach_resources_only_as_environment_variables(tmp_path):
    prod = build_definitions(settings_for("prod", tmp_path, DUMMY_SECRETS))
    target = prod.resources["destination_salesforce"]
    assert isinstance(target.token, dg.EnvVar) and target.token.env_var_name == "PROD_PIPELINES_SALESFORCE_TOKEN"
    assert "dummy-token" not in repr(target)


def test_the_daily_tick_targets_yesterdays_partition_and_the_whole_graph(tmp_path):
    defs = build_definitions(settings_for("dev", tmp_path, {}))
    schedule = next(iter(defs.schedules))
    tick = datetime(2025, 3, 12, 6, 0, tzinfo=timezone.utc)
    with dg.instance_for_test() as instance:
        context = dg.build_schedule_context(instance=instance, scheduled_execution_time=tick)
        requests = schedule.evaluate_tick(context).run_requests
    assert len(requests) == 1 and requests[0].partition_key == "2025-03-11"
    job = defs.resolve_job_def(PIPELINE_JOB)
    assert schedule.job_name == PIPELINE_JOB
    assert set(job.asset_layer.executable_asset_keys) == set(defs.resolve_asset_graph().get_all_asset_keys())


def test_an_unknown_environment_is_refused_by_name(tmp_path):
    with pytest.raises(ValueError, match="PROD_PIPELINES_ENV='qa'"):
        settings_for("qa", tmp_path, {})


def test_no_secret_looking_value_is_committed():
    import re
    import subprocess

    files = subprocess.run(["git", "ls-files"], cwd=REPO_ROOT, capture_output=True, text=True).stdout.split()
    patterns = [re.compile(p) for p in (
        r"AKIA[0-9A-Z]{16}", r"-----BEGIN [A-Z ]*PRIVATE KEY-----", r"xox[baprs]-[0-9A-Za-z-]{10,}",
        r"gh[pousr]_[0-9A-Za-z]{30,}", r"(?i)(password|secret|api[_-]?key)\s*[:=]\s*['\"][^'\"\s]{8,}['\"]",
        r"postgres(ql)?://[^:@\s/]+:[^@\s]{4,}@")]
    found = []
    for name in files:
        path = REPO_ROOT / name
        if path.suffix in {".parquet", ".png", ".gz", ".duckdb"} or not path.is_file():
            continue
        text = path.read_text(errors="ignore")
        found += [f"{name}: {m.group(0)[:40]}" for p in patterns for m in p.finditer(text)]
    assert not found, found
