"""The consumers, read from the exports' dbt YAML `meta.consumer` (one export, one consumer)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from prod_pipelines.dbt import project

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

    def sends_for(self, weekday: int) -> bool:
        return self.send_on == "daily" or WEEKDAYS[self.send_on] == weekday


REQUIRED = ("name", "destination", "key", "sla", "deadline_cron", "send_on")


def consumers_from_manifest(manifest: Mapping[str, Any]) -> list[Consumer]:
    """Every export model with its consumer, declared whole in the export's YAML: nothing is defaulted here."""
    consumers = []
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or node["fqn"][1:2] != ["exports"]:
            continue
        meta = node.get("meta", {})
        declared = meta.get("consumer")
        if not isinstance(declared, dict) or not declared.get("name"):
            raise ValueError(f"export {node['name']} must declare exactly one consumer under meta.consumer")
        missing = [f for f in REQUIRED if not declared.get(f)] + ([] if meta.get("owner") else ["owner (meta.owner)"])
        if missing:
            raise ValueError(f"export {node['name']}: meta.consumer does not declare {', '.join(missing)}")
        send_on = declared["send_on"]
        if send_on != "daily" and send_on not in WEEKDAYS:
            raise ValueError(f"export {node['name']}: send_on must be 'daily' or a weekday, not {send_on!r}")
        consumers.append(Consumer(
            name=declared["name"], export_model=node["name"], owner=meta["owner"],
            destination=declared["destination"], sla=declared["sla"], send_on=send_on, key=tuple(declared["key"]),
            deadline_cron=declared["deadline_cron"],
            max_change_share=declared.get("max_change_share")))
    names = [c.name for c in consumers]
    duplicated = {n for n in names if names.count(n) > 1}
    if duplicated:
        raise ValueError(f"consumer(s) {sorted(duplicated)} are served by more than one export")
    return sorted(consumers, key=lambda c: c.name)


def consumers() -> list[Consumer]:
    """The consumers of this project's exports."""
    return consumers_from_manifest(project.manifest())
