"""Alert thresholds of a consumer: for each signal of its syncs, a warn and a critical level.

A consumer declares only what differs from the project defaults below (the one place they live),
under `meta.consumer.alerts` in its export's dbt YAML, e.g.
`alerts: {volume_drop: {warn: 0.1}, duration_seconds: {critical: 1200}, volume_history: 14}`.
A level is reached when the measured value is at or above it. A setting the policy does not know,
or a warn above its critical, stops the definitions from loading with the consumer and setting named.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

LEVELS = ("ok", "warn", "critical")  # in order of severity


@dataclass(frozen=True)
class Threshold:
    warn: float
    critical: float

    def level(self, value: float) -> str:
        return "critical" if value >= self.critical else "warn" if value >= self.warn else "ok"


# Shares are fractions of a sync's rows; durations are seconds.
DEFAULTS = {
    "rejected_share": Threshold(warn=0.01, critical=0.05),  # records the destination rejected / rows sent
    "volume_drop": Threshold(warn=0.20, critical=0.50),  # 1 - rows sent / median of the previous syncs
    "duration_seconds": Threshold(warn=900, critical=3600),  # finished_at - started_at of the sync
}
SHARES = {"rejected_share", "volume_drop"}
DEFAULT_VOLUME_HISTORY = 7  # how many previous successful syncs the volume is compared with
MIN_VOLUME_HISTORY = 3  # fewer previous syncs than this and the volume is not judged yet


@dataclass(frozen=True)
class AlertThresholds:
    rejected_share: Threshold = DEFAULTS["rejected_share"]
    volume_drop: Threshold = DEFAULTS["volume_drop"]
    duration_seconds: Threshold = DEFAULTS["duration_seconds"]
    volume_history: int = DEFAULT_VOLUME_HISTORY

    def of(self, signal: str) -> Threshold:
        return getattr(self, signal)


PROJECT_DEFAULTS = AlertThresholds()


def thresholds_from_meta(consumer: str, declared: Any) -> AlertThresholds:
    """The project defaults overlaid with what `meta.consumer.alerts` of `consumer` declares."""
    if declared is None:
        return PROJECT_DEFAULTS
    where = f"consumer {consumer}: meta.consumer.alerts"
    if not isinstance(declared, Mapping):
        raise ValueError(f"{where} must be a mapping of settings, not {declared!r}")
    known = [*DEFAULTS, "volume_history"]
    unknown = sorted(set(declared) - set(known))
    if unknown:
        raise ValueError(f"{where}.{unknown[0]} is not a setting of the alert policy (known: {', '.join(known)})")
    history = declared.get("volume_history", DEFAULT_VOLUME_HISTORY)
    if not isinstance(history, int) or isinstance(history, bool) or history < MIN_VOLUME_HISTORY:
        raise ValueError(f"{where}.volume_history must be a whole number of syncs >= {MIN_VOLUME_HISTORY}, "
                         f"not {history!r}")
    return AlertThresholds(**{signal: _threshold(f"{where}.{signal}", signal, declared.get(signal), default)
                              for signal, default in DEFAULTS.items()}, volume_history=history)


def _threshold(where: str, signal: str, declared: Any, default: Threshold) -> Threshold:
    if declared is None:
        return default
    if not isinstance(declared, Mapping):
        raise ValueError(f"{where} must be a mapping with warn and/or critical, not {declared!r}")
    unknown = sorted(set(declared) - {"warn", "critical"})
    if unknown:
        raise ValueError(f"{where}.{unknown[0]} is not a level (levels: warn, critical)")
    for level, value in declared.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise ValueError(f"{where}.{level} must be a number above 0, not {value!r}")
        if signal in SHARES and value > 1:
            raise ValueError(f"{where}.{level} is a share of the sync's rows (0 to 1), not {value!r}")
    merged = replace(default, **declared)
    if merged.warn > merged.critical:
        raise ValueError(f"{where}: warn ({merged.warn:g}) is above critical ({merged.critical:g})")
    return merged
