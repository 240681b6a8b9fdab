"""A consumer's alert thresholds come from its dbt `meta.consumer.alerts` over the project defaults;
bad settings stop the definitions from loading, naming the consumer and the setting."""

from __future__ import annotations

import pytest

from prod_pipelines.delivery.alert_thresholds import DEFAULTS, PROJECT_DEFAULTS, Threshold, thresholds_from_meta
from prod_pipelines.delivery.consumers import consumers, consumers_from_manifest


def test_a_consumer_declaring_nothing_gets_the_project_defaults():
    assert thresholds_from_meta("app", None) == PROJECT_DEFAULTS


def test_a_declared_level_overrides_only_itself():
    got = thresholds_from_meta("app", {"volume_drop": {"warn": 0.1}, "volume_history": 14})
    assert got.volume_drop == Threshold(warn=0.1, critical=DEFAULTS["volume_drop"].critical)
    assert got.duration_seconds == DEFAULTS["duration_seconds"] and got.volume_history == 14


def test_the_project_yaml_sets_the_crm_rejects_thresholds_and_leaves_the_others_default():
    by_name = {c.name: c for c in consumers()}
    crm = by_name["salesforce"]
    assert crm.alerts.rejected_share.warn < crm.alerts.rejected_share.critical
    assert crm.alerts.rejected_share.critical == crm.max_rejected_share  # critical where its syncs start failing
    assert by_name["retailer_app"].alerts == PROJECT_DEFAULTS


@pytest.mark.parametrize(("declared", "message"), [
    ({"volume_dorp": {"warn": 0.1}}, "consumer app: meta.consumer.alerts.volume_dorp is not a setting"),
    ({"volume_drop": {"warn": 0.6}}, r"consumer app: meta.consumer.alerts.volume_drop: warn \(0.6\) is above critical"),
    ({"duration_seconds": {"warning": 60}}, "meta.consumer.alerts.duration_seconds.warning is not a level"),
    ({"rejected_share": {"critical": 5}}, "meta.consumer.alerts.rejected_share.critical is a share"),
    ({"duration_seconds": {"warn": "10m"}}, "meta.consumer.alerts.duration_seconds.warn must be a number above 0"),
    ({"volume_history": 1}, "meta.consumer.alerts.volume_history must be a whole number of syncs >= 3"),
    ([0.1, 0.5], "consumer app: meta.consumer.alerts must be a mapping"),
])
def test_a_bad_setting_is_refused_naming_the_consumer_and_the_setting(declared, message):
    with pytest.raises(ValueError, match=message):
        thresholds_from_meta("app", declared)


def test_a_bad_setting_in_an_export_yaml_stops_the_consumers_from_loading():
    declared = {"name": "app", "destination": "file_drop", "key": ["store_id"], "sla": "daily", "send_on": "daily",
                "deadline_cron": "0 9 * * *", "alerts": {"duration_seconds": {"warn": 600, "critical": 60}}}
    manifest = {"nodes": {"model.p.exp_app": {"resource_type": "model", "name": "exp_app",
                                              "fqn": ["p", "exports", "exp_app"],
                                              "meta": {"owner": "team:app", "consumer": declared}}}}
    with pytest.raises(ValueError, match=r"consumer app: meta.consumer.alerts.duration_seconds: warn \(600\)"):
        consumers_from_manifest(manifest)
