"""Has an export changed under a consumer? The enforced contracts of two manifests, compared per version.

Grain: one finding per export version that differs, and one per consumer whose pin moved or whose
version is due to retire. A change is *breaking* when a version some consumer is pinned to loses a
column, changes a column's type or constraints, or stops enforcing its contract (dbt's own rules for
a breaking contract change); the consumers pinned to it are named. Adding a column, adding a version,
moving a pin and changing a version nobody is pinned to are not breaking. An unversioned export is
compared as its version 1, which is how this project introduced versions without moving a table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from prod_pipelines.delivery.consumers import is_export, pinned_version

VersionKey = tuple[str, int]  # (export model, version)
RETIREMENT_NOTICE = timedelta(days=14)


@dataclass(frozen=True)
class ExportContract:
    """One version of an export as its consumer sees it: its enforced columns and constraints."""

    model: str
    version: int
    enforced: bool
    columns: Mapping[str, str]  # name -> declared data_type, normalised
    constraints: frozenset[str]  # "column: constraint" and model-level constraints, normalised
    deprecation_date: date | None


@dataclass(frozen=True)
class Finding:
    breaking: bool
    export: str  # "exp_x v1"
    consumers: tuple[str, ...]  # the consumers pinned to it in the new manifest
    text: str


def export_contracts(manifest: Mapping[str, Any]) -> dict[VersionKey, ExportContract]:
    found = {}
    for node in manifest["nodes"].values():
        if not is_export(node):
            continue
        version = 1 if node.get("version") is None else int(node["version"])
        columns = {name: _normal(c.get("data_type")) for name, c in node["columns"].items()}
        constraints = {f"{name}: {_constraint(k)}" for name, c in node["columns"].items()
                       for k in c.get("constraints", [])} | {_constraint(k) for k in node.get("constraints", [])}
        retire = node.get("deprecation_date")
        found[(node["name"], version)] = ExportContract(
            model=node["name"], version=version, enforced=bool(node["config"].get("contract", {}).get("enforced")),
            columns=columns, constraints=frozenset(constraints),
            deprecation_date=date.fromisoformat(str(retire)[:10]) if retire else None)
    return found


def pins(manifest: Mapping[str, Any]) -> dict[str, VersionKey]:
    """consumer -> the export version it is pinned to, read from `meta.consumer` as declared."""
    pinned = {}
    for node in manifest["nodes"].values():
        if is_export(node):
            declared = node.get("meta", {}).get("consumer") or {}
            if declared.get("name"):
                pinned[declared["name"]] = (node["name"], pinned_version(declared) or 1)
    return pinned


def compare(base: Mapping[str, Any], new: Mapping[str, Any], today: date) -> list[Finding]:
    """What changed for consumers between the `base` manifest (what is deployed) and `new` (this change)."""
    old_contracts, new_contracts = export_contracts(base), export_contracts(new)
    old_pins, new_pins = pins(base), pins(new)
    pinned_to: dict[VersionKey, list[str]] = {}
    for consumer, key in sorted(new_pins.items()):
        pinned_to.setdefault(key, []).append(consumer)
    findings = []
    for key in sorted(old_contracts.keys() | new_contracts.keys()):
        label, consumers = f"{key[0]} v{key[1]}", tuple(pinned_to.get(key, ()))
        before, after = old_contracts.get(key), new_contracts.get(key)
        if before is None:
            findings.append(Finding(False, label, consumers, "new version"))
        elif after is None:
            findings.append(Finding(bool(consumers), label, consumers, "version removed"))
        elif changes := _breaking_changes(before, after):
            findings.append(Finding(bool(consumers), label, consumers, "; ".join(changes)))
        elif added := sorted(after.columns.keys() - before.columns.keys()):
            findings.append(Finding(False, label, consumers, f"column(s) added: {', '.join(added)}"))
    for consumer, key in sorted(new_pins.items()):
        if consumer in old_pins and old_pins[consumer] != key:
            findings.append(Finding(False, f"{key[0]} v{key[1]}", (consumer,),
                                    f"{consumer} moves from {old_pins[consumer][0]} v{old_pins[consumer][1]}"))
        retire = new_contracts[key].deprecation_date if key in new_contracts else None
        if retire is not None and retire <= today + RETIREMENT_NOTICE:
            when = "was retired on" if retire < today else "retires on"
            findings.append(Finding(False, f"{key[0]} v{key[1]}", (consumer,),
                                    f"{when} {retire} and {consumer} is still pinned to it: move the consumer"))
    return findings


def report(findings: list[Finding]) -> str:
    """The findings as a person reads them, breaking ones first, each with the consumers it affects."""
    if not findings:
        return "No export contract changed."
    lines = []
    for f in sorted(findings, key=lambda f: (not f.breaking, f.export)):
        who = f"consumers pinned: {', '.join(f.consumers)}" if f.consumers else "no consumer is pinned to it"
        lines.append(f"{'BREAKING' if f.breaking else 'ok':<8} {f.export}: {f.text} ({who})")
    if any(f.breaking for f in findings):
        lines.append("A breaking change must be a new version beside the old one; each consumer moves to it "
                     "in its own time (docs/runbook.md, 'Changing an export').")
    return "\n".join(lines)


def _breaking_changes(before: ExportContract, after: ExportContract) -> list[str]:
    changes = []
    if before.enforced and not after.enforced:
        changes.append("contract no longer enforced")
    removed = sorted(before.columns.keys() - after.columns.keys())
    if removed:
        changes.append(f"column(s) removed: {', '.join(removed)}")
    kept = sorted(before.columns.keys() & after.columns.keys())
    retyped = [f"{c} {before.columns[c]} -> {after.columns[c]}" for c in kept if before.columns[c] != after.columns[c]]
    if retyped:
        changes.append(f"type changed: {', '.join(retyped)}")
    dropped = sorted(before.constraints - after.constraints)
    if dropped:
        changes.append(f"constraint(s) removed: {', '.join(dropped)}")
    return changes


def _normal(data_type: str | None) -> str:
    return " ".join((data_type or "").lower().replace(" (", "(").replace(", ", ",").split())


def _constraint(constraint: Mapping[str, Any]) -> str:
    columns = ",".join(constraint.get("columns") or [])
    expression = constraint.get("expression")
    return f"{constraint.get('type')}{f'({columns})' if columns else ''}{f' {expression}' if expression else ''}"
