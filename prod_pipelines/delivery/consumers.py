"""The consumers, read from the exports' dbt YAML `meta.consumer` (one export, one consumer).

A versioned export (dbt model versions) is built in every version it declares, but its consumer is
sent only the version it is pinned to (`meta.consumer.version`): a new shape runs beside the old
one until the consumer moves (docs/runbook.md, "Changing an export").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from prod_pipelines.dbt import project
from prod_pipelines.delivery.alert_thresholds import PROJECT_DEFAULTS, AlertThresholds, thresholds_from_meta

WEEKDAYS = {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6}


@dataclass(frozen=True)
class Consumer:
    name: str
    export_model: str
    owner: str
    destination: str
    sla: str
    send_on: str  # "daily" or a weekday name: only partitions of that weekday are delivered
    key: tuple[str, ...]  # the columns of the consumer's external id
    deadline_cron: str  # the SLA: by each tick, the newest partition must have been delivered
    max_change_share: float | None = None  # the blast-radius limit, when not the default
    max_rejected_share: float = 0.0  # records the consumer may refuse before a sync fails (0: none)
    export_version: int | None = None  # the version of the export the consumer is pinned to
    export_relation: str = ""  # `schema.table` of that version in the warehouse
    export_asset: str = ""  # that version's asset key, `exports/<table>`
    deprecation_date: str | None = None  # when the pinned version is retired, if it is
    alerts: AlertThresholds = PROJECT_DEFAULTS  # when its syncs warn and turn critical (meta.consumer.alerts)

    @property
    def export_label(self) -> str:
        """`exp_x` or `exp_x v2`: the export as people name it."""
        return self.export_model + ("" if self.export_version is None else f" v{self.export_version}")

    def sends_for(self, weekday: int) -> bool:
        return self.send_on == "daily" or WEEKDAYS[self.send_on] == weekday


REQUIRED = ("name", "destination", "key", "sla", "deadline_cron", "send_on")


def consumers_from_manifest(manifest: Mapping[str, Any]) -> list[Consumer]:
    """Every export model with its consumer, declared whole in the export's YAML: nothing is defaulted here."""
    versions: dict[str, dict[int | None, Mapping[str, Any]]] = {}
    for node in manifest["nodes"].values():
        if is_export(node):
            versions.setdefault(node["name"], {})[_version(node)] = node
    consumers = [_consumer(name, by_version) for name, by_version in versions.items()]
    names = [c.name for c in consumers]
    duplicated = {n for n in names if names.count(n) > 1}
    if duplicated:
        raise ValueError(f"consumer(s) {sorted(duplicated)} are served by more than one export")
    return sorted(consumers, key=lambda c: c.name)


def is_export(node: Mapping[str, Any]) -> bool:
    """A model under models/exports/ (any version of it), in this project's manifest or a baseline's."""
    return node["resource_type"] == "model" and node["fqn"][1:2] == ["exports"]


def pinned_version(declared: Mapping[str, Any]) -> int | None:
    """The export version a consumer declaration is pinned to (None for an unversioned export)."""
    pin = declared.get("version")
    return None if pin is None else int(pin)


def _version(node: Mapping[str, Any]) -> int | None:
    return None if node.get("version") is None else int(node["version"])


def _consumer(name: str, by_version: Mapping[int | None, Mapping[str, Any]]) -> Consumer:
    metas = [node.get("meta", {}) for node in by_version.values()]
    meta = metas[0]
    declared = meta.get("consumer")
    if any(m.get("consumer") != declared for m in metas):
        raise ValueError(f"export {name}: declare meta.consumer once, on the model, not per version")
    if not isinstance(declared, dict) or not declared.get("name"):
        raise ValueError(f"export {name} must declare exactly one consumer under meta.consumer")
    missing = [f for f in REQUIRED if not declared.get(f)] + ([] if meta.get("owner") else ["owner (meta.owner)"])
    if missing:
        raise ValueError(f"export {name}: meta.consumer does not declare {', '.join(missing)}")
    send_on = declared["send_on"]
    if send_on != "daily" and send_on not in WEEKDAYS:
        raise ValueError(f"export {name}: send_on must be 'daily' or a weekday, not {send_on!r}")
    rejected_share = declared.get("max_rejected_share", 0.0)
    if not isinstance(rejected_share, (int, float)) or not 0 <= rejected_share <= 1:
        raise ValueError(f"export {name}: meta.consumer.max_rejected_share must be a share between 0 and 1, "
                         f"not {rejected_share!r}")
    alerts = thresholds_from_meta(declared["name"], declared.get("alerts"))
    pin = pinned_version(declared)
    if pin not in by_version:
        built = ", ".join(f"v{v}" for v in sorted(v for v in by_version if v is not None)) or "none"
        raise ValueError(f"consumer {declared['name']} is pinned to {name} "
                         + ("without a version" if pin is None else f"v{pin}")
                         + f", which the export does not declare (versions: {built})")
    node = by_version[pin]
    return Consumer(
        name=declared["name"], export_model=name, owner=meta["owner"],
        destination=declared["destination"], sla=declared["sla"], send_on=send_on, key=tuple(declared["key"]),
        deadline_cron=declared["deadline_cron"], max_change_share=declared.get("max_change_share"),
        max_rejected_share=float(rejected_share),
        export_version=pin, export_relation=project.relation(node), export_asset=project.asset_path(node),
        deprecation_date=str(node["deprecation_date"])[:10] if node.get("deprecation_date") else None,
        alerts=alerts)


def consumers() -> list[Consumer]:
    """The consumers of this project's exports."""
    return consumers_from_manifest(project.manifest())
