"""The machine and software a bench ran on, and how busy the machine was."""

from __future__ import annotations

import os
import platform
from importlib import metadata

PACKAGES = ("duckdb", "dbt-core", "dbt-duckdb", "dagster", "dagster-dbt", "polars", "pandera")


def describe() -> dict[str, str]:
    return {
        "CPU": _cpu_model(),
        "cores": str(os.cpu_count()),
        "memory": f"{_memory_gb():.1f} GB",
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        **{name: _version(name) for name in PACKAGES},
    }


def load_average() -> float:
    """The 1-minute load average (runnable processes); above the core count, timings are stretched."""
    return os.getloadavg()[0]


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gb() -> float:
    try:
        with open("/proc/meminfo") as info:
            for line in info:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return 0.0


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


class LoadMonitor:
    """Samples the load average every `every` seconds while the bench runs."""

    def __init__(self, every: float = 10.0):
        import threading

        self.samples: list[float] = [load_average()]
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(every,), daemon=True)
        self._thread.start()

    def _run(self, every: float) -> None:
        while not self._done.wait(every):
            self.samples.append(load_average())

    def stop(self) -> tuple[float, float]:
        """Mean and max of the 1-minute load average over the bench."""
        self._done.set()
        self._thread.join()
        self.samples.append(load_average())
        return sum(self.samples) / len(self.samples), max(self.samples)
