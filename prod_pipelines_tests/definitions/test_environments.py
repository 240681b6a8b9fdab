"""dev, staging and prod differ only in configuration: same assets, checks, jobs; secrets from the environment."""

from __future__ import annotations

import shutil
from datetime import date, timedelta

import dagster as dg
import pytest

from prod_pipelines.automation.arrival import arrival_sensor
from prod_pipelines.dbt.project import manifest
from prod_pipelines.definitions import PIPELINE_JOB, build_definitions
from prod_pipelines.settings import Settings, configured_start_date
from prod_pipelines_tests.support.cli import run_cli
from prod_pipelines_tests.support.environments import DUMMY_SECRETS, settings_for


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
    dbt_tests = [n for n in manifest()["nodes"].values() if n["resource_type"] == "test"]
    assert len(shapes["dev"]["assets"]) == 23 and len(shapes["dev"]["checks"]) > len(dbt_tests)


def test_only_configuration_differs_between_environments(tmp_path):
    dev = build_definitions(settings_for("dev", tmp_path, {}))
    prod = build_definitions(settings_for("prod", tmp_path, DUMMY_SECRETS))
    assert dev.resources["destination_salesforce"].kind == "file_drop"
    assert prod.resources["destination_salesforce"].kind == "http_api"
    kinds = lambda d: {k.path[-1]: d.resolve_asset_graph().get(k).kinds  # noqa: E731
                       for k in d.resolve_asset_graph().get_all_asset_keys() if k.path[0] == "destinations"}
    assert kinds(dev) == {c: {"parquet"} for c in ("crm_email", "retailer_app", "salesforce")}  # what dev writes
    assert kinds(prod) == {"crm_email": {"postgres"}, "retailer_app": {"parquet"}, "salesforce": {"http"}}
    with_crm = build_definitions(settings_for("dev", tmp_path, {"PROD_PIPELINES_SALESFORCE_URL": "http://127.0.0.1:9"}))
    assert kinds(with_crm)["salesforce"] == {"http"}
    assert prod.resources["dbt"].target == "prod" and dev.resources["dbt"].target == "dev"
    arrival = lambda d: next(s for s in d.sensors if s.name == "arrival_sensor").default_status  # noqa: E731
    assert arrival(dev) == dg.DefaultSensorStatus.STOPPED and arrival(prod) == dg.DefaultSensorStatus.RUNNING


@pytest.mark.parametrize("missing", ["PROD_PIPELINES_SALESFORCE_TOKEN", "PROD_PIPELINES_CRM_EMAIL_URL",
                                     "PROD_PIPELINES_DAGSTER_PG_URL"])
def test_a_missing_secret_in_prod_fails_fast_naming_the_variable(tmp_path, missing):
    variables = {k: v for k, v in DUMMY_SECRETS.items() if k != missing}
    with pytest.raises(ValueError, match=missing):
        build_definitions(settings_for("prod", tmp_path, variables))


@pytest.mark.parametrize(("env", "variable", "url", "said"), [
    ("prod", "PROD_PIPELINES_CRM_EMAIL_URL", "postgresql://app:s3cret@db.example.invalid/marketing", "no sslmode"),
    ("prod", "PROD_PIPELINES_CRM_EMAIL_URL", "postgresql://app:s3cret@db.example.invalid/m?sslmode=require", "require"),
    ("prod", "PROD_PIPELINES_DAGSTER_PG_URL", "postgresql+psycopg2://d:s3cret@db.example.invalid/d?sslmode=prefer",
     "prefer"),
    ("staging", "PROD_PIPELINES_DAGSTER_PG_URL", "postgresql+psycopg2://d:s3cret@db.example.invalid/d", "no sslmode"),
    ("staging", "PROD_PIPELINES_CRM_EMAIL_URL", "postgres://app:s3cret@db.example.invalid/m?sslmode=disable",
     "disable"),
])
def test_staging_and_prod_refuse_a_postgres_url_without_tls_naming_the_variable_and_setting(
        tmp_path, env, variable, url, said):
    with pytest.raises(ValueError) as refused:
        settings_for(env, tmp_path, {**DUMMY_SECRETS, variable: url})
    message = str(refused.value)
    assert variable in message and f"config/{env}.yaml sets postgres_min_sslmode" in message
    assert said in message and "s3cret" not in message, message


def test_dev_takes_a_plain_postgres_url_and_staging_takes_require_or_stricter(tmp_path):
    plain = {"PROD_PIPELINES_CRM_EMAIL_URL": "postgresql://app@127.0.0.1/marketing?schema=m"}
    assert build_definitions(settings_for("dev", tmp_path, plain)).resources["destination_crm_email"].kind == "postgres"
    for mode in ("require", "verify-ca", "verify-full"):
        variables = {k: v.replace("verify-full", mode) for k, v in DUMMY_SECRETS.items()}
        assert settings_for("staging", tmp_path, variables).env == "staging"
    with pytest.raises(ValueError, match="PROD_PIPELINES_CRM_EMAIL_URL has sslmode='requir', which is not one of"):
        settings_for("dev", tmp_path, {"PROD_PIPELINES_CRM_EMAIL_URL": "postgresql://app@h/m?sslmode=requir"})


def test_secrets_reach_resources_only_as_environment_variables(tmp_path):
    prod = build_definitions(settings_for("prod", tmp_path, DUMMY_SECRETS))
    target = prod.resources["destination_salesforce"]
    assert isinstance(target.token, dg.EnvVar) and target.token.env_var_name == "PROD_PIPELINES_SALESFORCE_TOKEN"
    assert "dummy-token" not in repr(target)


def test_a_day_runs_when_its_feeds_have_arrived_and_not_before(tmp_path):
    from prod_pipelines.producers.synthetic import generate_landing

    first = date(2025, 3, 10)
    generate_landing(tmp_path, first, first + timedelta(days=2), scale=0.02)
    shutil.rmtree(tmp_path / "landing" / "inventory" / f"dt={first + timedelta(days=2)}")  # D+2: inventory late
    defs = build_definitions(Settings(data_dir=tmp_path, start_date=first))
    verdicts = dg.AssetKey(["completeness", "day_verdicts"])
    sensor = arrival_sensor(tmp_path / "landing", PIPELINE_JOB, first, verdicts, running=True, settle_seconds=0)
    with dg.instance_for_test() as instance:
        requests = sensor.evaluate_tick(dg.build_sensor_context(instance=instance, definitions=defs)).run_requests
        assert [(r.tags["dagster/asset_partition_range_start"], r.tags["dagster/asset_partition_range_end"])
                for r in requests] == [(str(first), str(first + timedelta(days=1)))]
        instance.report_runless_asset_event(dg.AssetMaterialization(verdicts, partition=str(first + timedelta(days=1))))
        skipped = sensor.evaluate_tick(dg.build_sensor_context(instance=instance, definitions=defs))
        assert not skipped.run_requests and f"inventory of {first + timedelta(days=2)}" in skipped.skip_message
    assert sensor.job_name == PIPELINE_JOB
    job = defs.resolve_job_def(PIPELINE_JOB)
    assert set(job.asset_layer.executable_asset_keys) == set(defs.resolve_asset_graph().get_all_asset_keys())


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_every_warehouse_connection_takes_the_dbt_targets_memory_cap_and_threads(tmp_path, env):
    import duckdb
    import yaml

    from prod_pipelines.settings import DBT_PROJECT_DIR
    from prod_pipelines.warehouse import Warehouse

    settings = Settings.from_env({"PROD_PIPELINES_ENV": env}, data_dir=str(tmp_path))
    output = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text())["prod_pipelines"]["outputs"][env]
    with Warehouse.of(settings).connect() as conn:
        cap = conn.execute("select current_setting('memory_limit'), current_setting('threads')").fetchone()
    reference = duckdb.connect(config={"memory_limit": output["settings"]["memory_limit"]})
    assert cap == (reference.execute("select current_setting('memory_limit')").fetchone()[0], output["threads"])
    reference.close()


def test_the_dev_demo_lives_in_the_present_and_production_starts_where_configured(tmp_path):
    today = date.today()
    start = lambda env, extra={}: settings_for(env, tmp_path, {**DUMMY_SECRETS, **extra}).start_date  # noqa: E731
    assert start("dev") == today - timedelta(days=100)  # the days `make run` seeds, up to yesterday
    assert start("staging") == start("prod") == date(2025, 1, 1)
    assert start("dev", {"PROD_PIPELINES_START_DATE": "2024-06-01"}) == date(2024, 6, 1)
    assert configured_start_date("dev", today=date(2026, 3, 1)) == date(2025, 11, 21)


def test_seed_and_backfill_default_to_the_partitions_up_to_yesterday(tmp_path):
    first = date.today() - timedelta(days=3)
    run_cli("seed", "--scale", "0.01", data_dir=tmp_path, start_date=first)
    days = sorted(p.name for p in (tmp_path / "landing" / "orders").iterdir())
    assert days == [f"dt={first + timedelta(days=i)}" for i in range(3)]  # first .. yesterday
    plan = run_cli("backfill", "--dry-run", data_dir=tmp_path, start_date=first).stdout
    assert f"{first}..{date.today() - timedelta(days=1)}" in plan, plan


def test_the_spark_engine_is_chosen_by_one_variable_and_keeps_every_asset_check_and_job(tmp_path):
    """PROD_PIPELINES_WAREHOUSE=spark: dbt builds with the `spark` output, the warehouse resource reads
    back from the Thrift server named by the environment, and the definitions are the same shape."""
    env = {"PROD_PIPELINES_WAREHOUSE": "spark", "PROD_PIPELINES_SPARK_HOST": "spark.internal",
           "PROD_PIPELINES_SPARK_PORT": "10001"}
    on_spark = Settings.from_env(env, data_dir=str(tmp_path))
    defs = build_definitions(on_spark)
    warehouse = defs.resources["warehouse"]
    assert (defs.resources["dbt"].target, warehouse.engine) == ("spark", "spark")
    assert (warehouse.spark_host, warehouse.spark_port, warehouse.lake_dir) == ("spark.internal", 10001,
                                                                                  str(tmp_path / "lake"))
    assert shape(defs) == shape(build_definitions(Settings.from_env({}, data_dir=str(tmp_path))))
    for wrong in ({"PROD_PIPELINES_WAREHOUSE": "sparky"}, {"PROD_PIPELINES_SPARK_PORT": "ten"}):
        with pytest.raises(ValueError, match=next(iter(wrong))):
            Settings.from_env(wrong, data_dir=str(tmp_path))
