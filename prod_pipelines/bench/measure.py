"""Timing one command in a fresh process: wall clock and peak memory of its whole process tree.

Peak memory is measured two ways. `max_rss_mb` is the kernel's own figure (wait4 rusage): the
largest resident set of any single process of the tree (the CLI, dbt, a code server), exact but
blind to processes running side by side. `tree_rss_mb` is the sum over the live tree, sampled every
50 ms from /proc: what the machine must hold at once (shared pages counted once per process).
"""

from __future__ import annotations

import contextlib
import os
import signal
import statistics
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

PAGE_MB = os.sysconf("SC_PAGE_SIZE") / 2**20
SAMPLE_SECONDS = 0.05


class CommandFailed(RuntimeError):
    pass


@dataclass(frozen=True)
class Sample:
    seconds: float
    max_rss_mb: float
    tree_rss_mb: float
    stdout: str


@dataclass(frozen=True)
class Stats:
    """Median, min and max of repeated measurements."""

    median: float
    low: float
    high: float
    runs: int

    @classmethod
    def of(cls, values: list[float]) -> Stats:
        if not values:
            raise ValueError("no measurements")
        return cls(statistics.median(values), min(values), max(values), len(values))

    def text(self, unit: str = "s", digits: int = 2) -> str:
        if self.runs == 1:
            return f"{self.median:.{digits}f}{' ' + unit if unit else ''}"
        return f"{self.median:.{digits}f}{' ' + unit if unit else ''} [{self.low:.{digits}f}–{self.high:.{digits}f}]"


def run(command: list[str], log: Path, env: dict[str, str] | None = None, cwd: Path | None = None,
        timeout: float = 3600) -> Sample:
    """Runs `command` to completion; stdout and stderr go to `log` (.out/.err). Raises on failure."""
    log.parent.mkdir(parents=True, exist_ok=True)
    out, err = log.with_suffix(".out"), log.with_suffix(".err")
    with out.open("w") as stdout, err.open("w") as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=stdout, stderr=stderr, env=env, cwd=cwd, start_new_session=True)
        sampler = TreeSampler(process.pid)
        sampler.start()
        watchdog = threading.Timer(timeout, _kill_group, [process.pid])
        watchdog.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            watchdog.cancel()
            sampler.stop()
        seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise CommandFailed(f"{' '.join(command)} exited {process.returncode} (log {err}):\n{err.read_text()[-3000:]}")
    return Sample(seconds=seconds, max_rss_mb=usage.ru_maxrss / 1024, tree_rss_mb=sampler.peak_mb,
                  stdout=out.read_text())


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)  # the group of the one process this module started


class TreeSampler(threading.Thread):
    def __init__(self, root: int):
        super().__init__(daemon=True)
        self.root, self.peak_mb, self._done = root, 0.0, threading.Event()

    def run(self) -> None:
        while not self._done.wait(SAMPLE_SECONDS):
            self.peak_mb = max(self.peak_mb, sum(_rss_mb(pid) for pid in _tree(self.root)))

    def stop(self) -> None:
        self._done.set()
        self.join()


def _tree(root: int) -> list[int]:
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as children:
                    stack.extend(int(c) for c in children.read().split())
        except OSError:
            continue
    return found


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/statm") as statm:
            return int(statm.read().split()[1]) * PAGE_MB
    except (OSError, IndexError, ValueError):
        return 0.0
