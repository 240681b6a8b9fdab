"""A stand-in for the CRM's upsert API, for tests: one in-memory record per consumer and external id.

It honours `Idempotency-Key` as real APIs do (a replayed key gets the first answer and nothing is applied
again; the same key with another body is a 422) and plays a scripted fault per request number (0 = the
first request the server receives), so a test puts a timeout, a 500, a 429 or a crash exactly where it
wants. Runs on 127.0.0.1 and a free port, in a thread: `with CrmServer(faults={2: Fail(500)}) as server`.

`refuse` maps external ids to a reason: such a record is refused alone (the rest of its batch is applied,
and the answer lists it under "rejected"), as long as it stays in the map.
"""

from __future__ import annotations

import copy
import hashlib
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote


@dataclass(frozen=True)
class Timeout:
    """Answer only after `seconds` (longer than the client waits); the request is still applied then."""

    seconds: float = 1.0


@dataclass(frozen=True)
class Fail:
    """Answer `status` without applying anything; `retry_after` becomes the `Retry-After` header."""

    status: int
    retry_after: str | None = None
    body: str = "injected failure"


@dataclass(frozen=True)
class Crash:
    """Apply the request, then drop the connection without answering."""


@dataclass
class Seen:
    """One request as the server received it, for tests to count and inspect."""

    number: int
    method: str
    path: str
    idempotency_key: str | None
    body: dict | None
    at: float
    fault: Timeout | Fail | Crash | None
    replayed: bool = False


class CrmServer:
    def __init__(self, faults: dict[int, Timeout | Fail | Crash] | None = None, token: str | None = None,
                 refuse: dict[str, str] | None = None):
        self.faults = dict(faults or {})
        self.refuse = dict(refuse or {})
        self.token = token
        self.requests: list[Seen] = []
        self.applied: list[str | None] = []
        self._store: dict[str, dict[str, dict]] = {}
        self._answers: dict[str, tuple[str, dict]] = {}
        self._lock = threading.Lock()

    def __enter__(self) -> CrmServer:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def records(self) -> dict[str, dict[str, dict]]:
        """A copy of the store: consumer -> external id -> record."""
        with self._lock:
            return copy.deepcopy(self._store)

    def seed(self, consumer: str, records: list[dict]) -> None:
        with self._lock:
            self._store.setdefault(consumer, {}).update({r["external_id"]: dict(r) for r in records})

    def handle(self, method: str, path: str, headers, raw: bytes) -> tuple[int, dict, dict] | None:
        """(status, headers, body) to answer, or None to drop the connection unanswered."""
        key = headers.get("Idempotency-Key")
        with self._lock:
            seen = Seen(len(self.requests), method, path, key, _parse(raw), time.monotonic(), None)
            seen.fault = self.faults.get(seen.number)
            self.requests.append(seen)
        if isinstance(seen.fault, Fail):
            extra = {"Retry-After": seen.fault.retry_after} if seen.fault.retry_after else {}
            return seen.fault.status, extra, {"error": seen.fault.body}
        if isinstance(seen.fault, Timeout):
            time.sleep(seen.fault.seconds)
        if self.token and headers.get("Authorization") != f"Bearer {self.token}":
            return 401, {}, {"error": "missing or wrong bearer token"}
        parts = path.split("/")
        if len(parts) != 4 or parts[1] != "v1" or (method, parts[3]) not in {
                ("GET", "records"), ("POST", "upsert"), ("POST", "delete")}:
            return 404, {}, {"error": f"no route {method} {path}"}
        consumer, action = unquote(parts[2]), parts[3]
        if action == "records":
            with self._lock:
                return 200, {}, {"records": [r for _, r in sorted(self._store.get(consumer, {}).items())]}
        status, answer = self._write(seen, consumer, action, raw)
        replayed = {"Idempotent-Replayed": "true"} if seen.replayed else {}
        return None if isinstance(seen.fault, Crash) else (status, replayed, answer)

    def _write(self, seen: Seen, consumer: str, action: str, raw: bytes) -> tuple[int, dict]:
        digest = hashlib.sha256(raw).hexdigest()
        with self._lock:
            if seen.idempotency_key in self._answers:
                first_digest, answer = self._answers[seen.idempotency_key]
                if first_digest != digest:
                    return 422, {"error": "Idempotency-Key reused with a different body"}
                seen.replayed = True
                return 200, answer
            field = "records" if action == "upsert" else "external_ids"
            items = (seen.body or {}).get(field)
            if not isinstance(items, list) or not all(
                    isinstance(r, dict) and isinstance(r.get("external_id"), str) if action == "upsert"
                    else isinstance(r, str) for r in items):
                return 400, {"error": f"body must be {{\"{field}\": [...]}} with string external ids"}
            store = self._store.setdefault(consumer, {})
            rejected = []
            for item in items:
                external_id = item["external_id"] if action == "upsert" else item
                if external_id in self.refuse:
                    rejected.append({"external_id": external_id, "error": self.refuse[external_id]})
                elif action == "upsert":
                    store[external_id] = item
                else:
                    store.pop(external_id, None)
            answer = {"upserted" if action == "upsert" else "deleted": len(items) - len(rejected),
                      **({"rejected": rejected} if rejected else {})}
            self.applied.append(seen.idempotency_key)
            if seen.idempotency_key:
                self._answers[seen.idempotency_key] = (digest, answer)
            return 200, answer


def _parse(raw: bytes) -> dict | None:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def _handler(server: CrmServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._answer("GET")

        def do_POST(self) -> None:
            self._answer("POST")

        def _answer(self, method: str) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            outcome = server.handle(method, self.path, self.headers, raw)
            self.close_connection = True
            if outcome is None:
                return
            status, headers, body = outcome
            payload = json.dumps(body).encode()
            try:
                self.send_response(status)
                for name, value in {**headers, "Content-Type": "application/json",
                                    "Content-Length": str(len(payload))}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args) -> None:
            pass

    return Handler
