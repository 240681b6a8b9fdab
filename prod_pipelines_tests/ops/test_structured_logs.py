"""Logs a machine can read: one JSON object per line in staging and prod, with run id and partition, no secrets."""

from __future__ import annotations

import json
import secrets
from datetime import timedelta

import dagster as dg
import pytest

from prod_pipelines.definitions import build_definitions
from prod_pipelines.settings import LOG_FORMAT_VAR, destination_token_var, destination_url_var
from prod_pipelines_tests.support.cli import run_cli
from prod_pipelines_tests.support.environments import DUMMY_SECRETS, settings_for
from prod_pipelines_tests.support.handmade import FIRST_DAY, write_handmade_landing
from prod_pipelines_tests.support.http_crm_server import CrmServer

SECRET = secrets.token_hex(16)  # made at run time: the repository scan forbids a committed one


@pytest.mark.parametrize(("env", "variables", "logger"), [
    ("dev", {}, dg.colored_console_logger),
    ("staging", DUMMY_SECRETS, dg.json_console_logger),
    ("prod", DUMMY_SECRETS, dg.json_console_logger),
    ("dev", {LOG_FORMAT_VAR: "json"}, dg.json_console_logger),
    ("prod", {**DUMMY_SECRETS, LOG_FORMAT_VAR: "text"}, dg.colored_console_logger),
])
def test_each_environment_picks_its_console_log_format(tmp_path, env, variables, logger):
    defs = build_definitions(settings_for(env, tmp_path, variables))
    assert defs.loggers["console"] is logger


def test_an_unknown_log_format_is_refused_by_name(tmp_path):
    with pytest.raises(ValueError, match=f"{LOG_FORMAT_VAR}='xml'"):
        settings_for("dev", tmp_path, {LOG_FORMAT_VAR: "xml"})


def test_a_json_run_logs_one_object_per_line_with_run_id_and_partition_and_no_secret(tmp_path):
    write_handmade_landing(tmp_path)
    day = FIRST_DAY + timedelta(days=1)
    with CrmServer(token=SECRET) as crm:  # answers 401 unless the run really sends the token
        done = run_cli("backfill", "--start", FIRST_DAY.isoformat(), "--end", day.isoformat(), data_dir=tmp_path,
                       start_date=FIRST_DAY, env={LOG_FORMAT_VAR: "json", destination_url_var("salesforce"): crm.url,
                                                  destination_token_var("salesforce"): SECRET})
        assert crm.records.get("salesforce"), "the CRM received nothing: the token was not used"

    records = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    step_records = [r for r in records if r["dagster_meta"]["step_key"]]
    assert {r["dagster_meta"]["step_key"] for r in step_records} >= {"raw__inventory", "dbt_models"}
    assert len({r["dagster_meta"]["run_id"] for r in records}) == 1
    for record in step_records:
        tags = record["dagster_meta"]["job_tags"]
        assert (tags["dagster/asset_partition_range_start"], tags["dagster/asset_partition_range_end"]) == (
            FIRST_DAY.isoformat(), day.isoformat())
        assert record["levelname"] and record["dagster_meta"]["orig_message"]
    assert SECRET not in done.stderr + done.stdout
