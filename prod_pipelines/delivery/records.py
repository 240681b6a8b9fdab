"""A row as consumers see it: JSON-ready values and its external id (the key values joined by ':').

One definition for the CRM's wire format and for the sync log's keys, so that `syncs --key S001:K0001`
names the same record the CRM holds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal


def json_value(value: object) -> object:
    """Decimals as plain strings keeping their scale (a float would round money), dates as ISO 8601."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (date, datetime, time)):
        return value.isoformat()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"no JSON form for {type(value).__name__} value {value!r}")


def external_id(row: Mapping[str, object], key: Sequence[str]) -> str:
    if any(row[k] is None for k in key):
        raise ValueError(f"a row has a null key column ({list(key)}): {dict(row)}")
    return ":".join(str(json_value(row[k])) for k in key)
