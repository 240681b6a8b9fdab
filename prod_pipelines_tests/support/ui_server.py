"""The Dagster UI and daemon for this project, started on a data dir for browser tests.

`dagster dev` is what a user runs (`prod-pipelines dev`), so the tests drive the same thing: the
webserver, the daemon (runs launched from the UI go through the run queue, which only the daemon
drains) and the code server. It is started in its own session so that stopping it stops the whole
process group, and "ready" means the code location has loaded and the daemon has sent heartbeats,
not merely that the port answers.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from prod_pipelines.ops.runner import prepare_dagster_home
from prod_pipelines.settings import REPO_ROOT, Settings

READY_QUERY = """{
  workspaceOrError { ... on Workspace { locationEntries { name loadStatus
    locationOrLoadError { __typename ... on PythonError { message } } } } }
  instance { daemonHealth { allDaemonStatuses { daemonType healthy required } } }
}"""


@dataclass(frozen=True)
class UiServer:
    url: str
    dagster_home: Path
    log_path: Path
    process: subprocess.Popen


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def dagster_ui(data_dir: Path, start_date: date, *, port: int | None = None, timeout: float = 300,
               entry: str = "dagster dev") -> Iterator[UiServer]:
    """The UI on `data_dir` (which must already hold a landing zone) until the block exits.

    `entry` is how a user starts it: bare `dagster dev` (with DAGSTER_HOME set), or `prod-pipelines dev`,
    which `make dev` runs and which prepares DAGSTER_HOME itself; `prod-pipelines ui --read-only` is the
    webserver alone, for viewers, so no daemon is waited for."""
    settings = Settings(data_dir=Path(data_dir).resolve(), start_date=start_date)
    home = prepare_dagster_home(settings)
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = settings.data_dir / "dagster-dev.log"
    env = {**os.environ, **settings.as_env(), "DAGSTER_HOME": str(home), "DO_NOT_TRACK": "1",
           "DAGSTER_DISABLE_TELEMETRY": "1"}
    bin_dir = Path(sys.executable).parent
    commands = {
        "dagster dev": [str(bin_dir / "dagster"), "dev", "-w", str(REPO_ROOT / "workspace.yaml"),
                        "-h", "127.0.0.1", "-p", str(port)],
        "prod-pipelines dev": [str(bin_dir / "prod-pipelines"), "dev", "--data-dir", str(settings.data_dir),
                               "--port", str(port)],
        "prod-pipelines ui --read-only": [str(bin_dir / "prod-pipelines"), "ui", "--read-only", "--data-dir",
                                          str(settings.data_dir), "--port", str(port)],
    }
    command = commands[entry]
    with_daemon = "dev" in command
    with log_path.open("ab") as log:
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True, preexec_fn=_default_interrupts)
    try:
        _wait_until_ready(url, process, log_path, timeout, with_daemon)
        yield UiServer(url=url, dagster_home=home, log_path=log_path, process=process)
    finally:
        if process.poll() is None or _group_alive(process.pid):
            _stop(process)


def graphql(url: str, query: str, variables: dict | None = None, timeout: float = 30) -> dict:
    """One GraphQL request to the webserver (what the UI itself sends)."""
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(f"{url}/graphql", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())["data"]


def _wait_until_ready(url: str, process: subprocess.Popen, log_path: Path, timeout: float, with_daemon: bool) -> None:
    deadline = time.monotonic() + timeout
    problem = "the webserver did not answer"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"dagster dev exited with {process.returncode}:\n{_tail(log_path)}")
        try:
            problem = _not_ready_because(graphql(url, READY_QUERY, timeout=10), with_daemon)
        except (urllib.error.URLError, ConnectionError, TimeoutError, KeyError, TypeError) as error:
            problem = f"the webserver did not answer ({error})"
        if problem is None:
            return
        time.sleep(1)
    raise TimeoutError(f"the Dagster UI at {url} was not ready after {timeout:.0f}s: {problem}\n{_tail(log_path)}")


def _not_ready_because(data: dict, with_daemon: bool) -> str | None:
    entries = data["workspaceOrError"]["locationEntries"]
    for entry in entries:
        if entry["loadStatus"] != "LOADED":
            return f"code location {entry['name']} is {entry['loadStatus']}"
        loaded = entry["locationOrLoadError"] or {}
        if loaded.get("__typename") == "PythonError":
            raise RuntimeError(f"code location {entry['name']} failed to load: {loaded.get('message')}")
    if not entries:
        return "no code location yet"
    if not with_daemon:
        return None
    statuses = data["instance"]["daemonHealth"]["allDaemonStatuses"]
    queue = [s for s in statuses if s["daemonType"] == "QUEUED_RUN_COORDINATOR"]
    if not queue or not queue[0]["healthy"]:
        return "the run queue daemon has not sent a heartbeat yet"
    return None


def _default_interrupts() -> None:
    """A shell's background job inherits SIGINT ignored, and dagster dev maps SIGTERM onto SIGINT's
    handler: without this reset neither signal would stop it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def press_ctrl_c(process: subprocess.Popen, grace: float) -> list[int]:
    """What a terminal does on Ctrl-C: SIGINT to the whole foreground process group (the dev server,
    its webserver, daemon and code servers). Returns the processes still alive after `grace` seconds."""
    os.killpg(process.pid, signal.SIGINT)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and _group_alive(process.pid):
        process.poll()  # reaps the leader as soon as it exits
        time.sleep(0.2)
    return _group_members(process.pid)


def _stop(process: subprocess.Popen, grace: float = 45) -> None:
    """Ctrl-C to dagster dev (it shuts down the webserver, daemon and code servers), then SIGTERM and
    SIGKILL to what is left of its group (run workers, log tailers): no orphans either way."""
    if not press_ctrl_c(process, grace):
        process.wait(timeout=grace)
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and _group_alive(process.pid):
            process.poll()  # reaps the leader as soon as it exits
            time.sleep(0.2)
        if not _group_alive(process.pid):
            break
    process.wait(timeout=grace)


def _group_alive(pgid: int) -> bool:
    return bool(_group_members(pgid))


def _group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes of the group, read from /proc."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


def _tail(path: Path, chars: int = 4000) -> str:
    return path.read_text(errors="replace")[-chars:] if path.exists() else ""
