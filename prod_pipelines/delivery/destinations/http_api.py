"""The CRM's upsert API as a destination: one record per external id (the key values joined by ':').

Only the difference is sent: rows added or changed since `previous` are upserted, external ids that
disappeared are deleted. Without `previous` (first sync, or after a crash) the server's own records are
read and diffed, so a sync always converges on `rows`. The API has no transactions: each batch is atomic,
and a failed sync is repaired by the next one rather than rolled back.

Wire format (JSON, UTF-8): `POST /v1/<consumer>/upsert {"records": [{"external_id": "S1:K1", ...row}]}`,
`POST /v1/<consumer>/delete {"external_ids": ["S1:K1"]}`, `GET /v1/<consumer>/records -> {"records": [...]}`.
A batch can succeed in part: the answer's `"rejected": [{"external_id": ..., "error": ...}]` lists the
records the CRM refused (and did not apply); the receipt carries them, and ids refused before come back
in `retry` and are sent again, changed or not, until they are accepted.
Dates and times are ISO 8601 strings; decimals are strings in plain notation keeping their scale
("118.9300"), because a float would round money and make an unchanged value look changed.

Every batch carries an `Idempotency-Key` derived from (consumer, partition, sync id, batch content hash):
every retry of a batch sends the same key, so a batch the server applied before the connection dropped is
acknowledged, not applied again. The sync id (random, one per sync call) keeps a later sync that happens
to send the same batch (roll back, then forward again) from being swallowed by the server's replay cache.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import quote

import httpx
import pyarrow as pa
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from prod_pipelines.delivery.destinations.protocol import Receipt
from prod_pipelines.delivery.records import external_id, json_value

log = logging.getLogger(__name__)
RETRY_AFTER_CAP_S = 60.0
_MISSING = object()


class DeliveryError(RuntimeError):
    """A request the CRM refused (4xx), or one that still failed after every attempt."""


class _Retryable(Exception):
    def __init__(self, response: httpx.Response):
        super().__init__(f"HTTP {response.status_code}: {response.text[:300]}")
        self.retry_after = _retry_after(response.headers.get("Retry-After")) if response.status_code == 429 else None


@dataclass(frozen=True)
class Changes:
    """What to send: records to upsert (added + changed) and external ids to delete, each sorted by id."""

    upserts: list[dict]
    deletes: list[str]
    added: int
    changed: int


def records_by_external_id(table: pa.Table, key: list[str]) -> dict[str, dict]:
    """One JSON-ready record per external id; a repeated or null id is an error (the CRM would keep one)."""
    records: dict[str, dict] = {}
    for row in table.to_pylist():
        identity = external_id(row, key)
        if identity in records:
            raise ValueError(f"external id {identity!r} occurs more than once")
        records[identity] = {"external_id": identity,
                             **{name: json_value(v) for name, v in row.items() if name != "external_id"}}
    return records


def changes(current: dict[str, dict], baseline: dict[str, dict], retry: frozenset[str] = frozenset()) -> Changes:
    """Compares only the fields we send, so a server that adds its own fields does not look changed.
    An id in `retry` (refused by an earlier sync) is upserted again if the export has it, else deleted."""
    added = [r for e, r in sorted(current.items()) if e not in baseline]
    changed = [r for e, r in sorted(current.items())
               if e in baseline and (e in retry or any(baseline[e].get(k, _MISSING) != v for k, v in r.items()))]
    deletes = sorted(e for e in baseline.keys() | (retry - current.keys()) if e not in current)
    return Changes(upserts=sorted(added + changed, key=lambda r: r["external_id"]), deletes=deletes,
                   added=len(added), changed=len(changed))


@dataclass(frozen=True)
class HttpApi:
    """Keeps the CRM's records for a consumer equal to the export, sending only what changed."""

    base_url: str
    token: str | None = None
    batch_size: int = 500
    max_attempts: int = 6
    timeout_s: float = 10
    backoff_base_s: float = 0.2

    def sync(self, consumer: str, partition: date, rows: pa.Table, key: list[str],
             previous: pa.Table | None, retry: frozenset[str] = frozenset()) -> Receipt:
        if not key:
            raise ValueError(f"{consumer}: the CRM needs key columns to build external ids; none were given")
        current = records_by_external_id(rows, key)
        prefix = f"/v1/{quote(consumer, safe='')}"
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        with httpx.Client(base_url=self.base_url, timeout=self.timeout_s, headers=headers) as client:
            if previous is not None:
                baseline = records_by_external_id(previous, key)
            else:
                answer = self._send(client, "GET", f"{prefix}/records", consumer, "read of its current records")
                baseline = {r["external_id"]: r for r in answer.json()["records"]}
            todo = changes(current, baseline, retry)
            sync_id, rejected = uuid.uuid4().hex, {}
            for op, field, items in (("upsert", "records", todo.upserts), ("delete", "external_ids", todo.deletes)):
                batches = [items[i:i + self.batch_size] for i in range(0, len(items), self.batch_size)]
                for n, batch in enumerate(batches, 1):
                    body = json.dumps({field: batch}, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()
                    digest = hashlib.sha256(body).hexdigest()
                    idempotency_key = hashlib.sha256(
                        f"{consumer}\n{partition.isoformat()}\n{sync_id}\n{op}\n{digest}".encode()).hexdigest()
                    answer = self._send(client, "POST", f"{prefix}/{op}", consumer,
                                        f"{op} batch {n}/{len(batches)}", content=body,
                                        headers={"Content-Type": "application/json",
                                                 "Idempotency-Key": idempotency_key})
                    rejected |= _rejected(answer, consumer, f"{op} batch {n}")
        return Receipt(location=f"{self.base_url.rstrip('/')}{prefix}", rows=rows.num_rows,
                       added=todo.added, changed=todo.changed, removed=len(todo.deletes), rejected=rejected)

    def _send(self, client: httpx.Client, method: str, path: str, consumer: str, what: str, **kwargs) -> httpx.Response:
        """One request, retried on timeouts, dropped connections, 429 and 5xx; any other 4xx fails at once."""
        backoff = wait_exponential_jitter(initial=self.backoff_base_s, max=30, jitter=self.backoff_base_s)

        def wait(state) -> float:
            error = state.outcome.exception()
            return error.retry_after if getattr(error, "retry_after", None) is not None else backoff(state)

        retrying = Retrying(stop=stop_after_attempt(self.max_attempts), wait=wait, reraise=True,
                            retry=retry_if_exception_type((httpx.TransportError, _Retryable)),
                            before_sleep=lambda state: log.warning(
                                "%s: %s attempt %d failed (%s); retrying in %.2f s", consumer, what,
                                state.attempt_number, state.outcome.exception(), state.next_action.sleep))
        try:
            for attempt in retrying:
                with attempt:
                    response = client.request(method, path, **kwargs)
                    if response.status_code == 429 or response.status_code >= 500:
                        raise _Retryable(response)
        except (httpx.TransportError, _Retryable) as error:
            raise DeliveryError(f"{consumer}: {what} ({method} {path}) failed after {self.max_attempts} attempts: "
                                f"{type(error).__name__}: {error}") from error
        if not response.is_success:
            raise DeliveryError(f"{consumer}: {what} ({method} {path}) was refused with HTTP "
                                f"{response.status_code}: {response.text[:500]}")
        return response


def _rejected(answer: httpx.Response, consumer: str, what: str) -> dict[str, str]:
    """The records a batch's answer says were refused: external id -> the CRM's reason."""
    listed = (answer.json() if answer.content else {}).get("rejected") or []
    try:
        return {str(r["external_id"]): str(r.get("error") or "no reason given") for r in listed}
    except (TypeError, KeyError) as error:
        raise DeliveryError(f"{consumer}: {what}: the CRM's list of rejected records is malformed "
                            f"({error!r}): {answer.text[:300]}") from error


def _retry_after(value: str | None) -> float | None:
    """`Retry-After` as seconds (a number or an HTTP date), capped so a bad header cannot stall a run."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds()
        except (TypeError, ValueError):
            return None
    return min(max(seconds, 0.0), RETRY_AFTER_CAP_S)
