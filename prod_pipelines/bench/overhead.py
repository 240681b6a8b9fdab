"""The orchestration's own cost: loading the definitions, and the web UI from start to first page.

- Definitions: `python -c "import prod_pipelines.definitions"` in a fresh process, the dbt manifest
  already parsed (one untimed load first makes sure of it).
- Web UI: `dagster-webserver -w workspace.yaml` on a free port; the time until /server_info answers
  200, then the time of GET / (the first page), then until the code location has loaded (GraphQL),
  which is when the asset graph can show.
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
from dataclasses import dataclass
from pathlib import Path

from prod_pipelines.bench import measure, runs
from prod_pipelines.ops.runner import prepare_dagster_home
from prod_pipelines.settings import REPO_ROOT, Settings

LOCATION_QUERY = "query { workspaceOrError { ... on Workspace { locationEntries { name loadStatus } } } }"


@dataclass
class Overhead:
    definitions: list[measure.Sample]
    server_ready: list[float]
    first_page: list[float]
    location_loaded: list[float]
    webserver_tree_rss_mb: float


def measure_overhead(data_dir: Path, first_partition, repeat: int, logs: Path) -> Overhead:
    env = runs.child_env(data_dir, first_partition)
    load = [sys.executable, "-c", "import prod_pipelines.definitions"]
    measure.run(load, logs / "definitions-warmup", env=env)
    definitions = [measure.run(load, logs / f"definitions-{i}", env=env) for i in range(repeat)]
    ready, first, loaded, peak = [], [], [], 0.0
    for i in range(repeat):
        r, f, location_s, rss = _webserver_once(data_dir, env, logs / f"webserver-{i}")
        ready.append(r)
        first.append(f)
        loaded.append(location_s)
        peak = max(peak, rss)
    return Overhead(definitions, ready, first, loaded, peak)


def _webserver_once(data_dir: Path, env: dict[str, str], log: Path) -> tuple[float, float, float, float]:

    home = prepare_dagster_home(Settings(data_dir=data_dir))
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    command = [str(Path(sys.executable).with_name("dagster-webserver")), "-w", str(REPO_ROOT / "workspace.yaml"),
               "-h", "127.0.0.1", "-p", str(port)]
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.with_suffix(".log").open("w") as output:
        started = time.perf_counter()
        process = subprocess.Popen(command, env={**env, "DAGSTER_HOME": str(home)}, cwd=REPO_ROOT,
                                   stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
        sampler = measure.TreeSampler(process.pid)
        sampler.start()
        try:
            _wait_for(lambda: _get(f"{base}/server_info") == 200, process, "server_info")
            ready = time.perf_counter() - started
            page_started = time.perf_counter()
            if _get(f"{base}/") != 200:
                raise measure.CommandFailed(f"GET {base}/ did not answer 200 (log {log})")
            first_page = time.perf_counter() - page_started
            _wait_for(lambda: _location_loaded(base), process, "code location loaded")
            loaded = time.perf_counter() - started
        finally:
            sampler.stop()
            _stop(process)
    return ready, first_page, loaded, sampler.peak_mb


def _wait_for(condition, process: subprocess.Popen, what: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise measure.CommandFailed(f"dagster-webserver exited {process.returncode} before {what}")
        if condition():
            return
        time.sleep(0.05)
    raise measure.CommandFailed(f"dagster-webserver: no {what} within {timeout:.0f} s")


def _get(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            response.read()
            return response.status
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def _location_loaded(base: str) -> bool:
    request = urllib.request.Request(f"{base}/graphql", data=json.dumps({"query": LOCATION_QUERY}).encode(),
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            entries = json.loads(response.read())["data"]["workspaceOrError"].get("locationEntries", [])
    except (urllib.error.URLError, ConnectionError, TimeoutError, KeyError, TypeError, ValueError):
        return False
    return bool(entries) and all(e["loadStatus"] == "LOADED" for e in entries)


def _stop(process: subprocess.Popen) -> None:
    """Stops the webserver this module started (its own process group: the server and its code server)."""
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
