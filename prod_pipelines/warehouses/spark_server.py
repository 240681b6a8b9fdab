"""A local Apache Spark Thrift Server (HiveServer2 protocol), the one dbt-spark connects to.

Started from the pyspark wheel (`spark-submit --class ...HiveThriftServer2 spark-internal`): no Spark
installation, only Java 17. Everything it writes stays under `<data dir>`: the tables
(`spark-warehouse/`), its Derby metastore, logs, scratch space and pid file (`spark-server/`).

Its settings make Spark compute what DuckDB computes (ANSI SQL: an overflow or a bad cast fails
instead of giving NULL; every timestamp in UTC) and fit a small machine (local[2], 1.5 GB driver,
4 shuffle partitions instead of 200).

Host and port come from PROD_PIPELINES_SPARK_HOST (127.0.0.1) and PROD_PIPELINES_SPARK_PORT (10000),
read by settings.py; dbt's `spark` output (profiles.yml) reads the same two variables.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from prod_pipelines.settings import SPARK_PORT_VAR

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 10000
DRIVER_MEMORY = "1536m"
START_TIMEOUT_SECONDS = 180.0
# Hive's scratch, local scratch, resources, query log and operation log folders, under spark-server/scratch.
SCRATCH_DIRS = ("hive", "hive-local", "resources", "querylog", "operation_logs")
# Spark settings that make its results DuckDB's, and its footprint fit two cores.
SPARK_CONF = {
    "spark.sql.ansi.enabled": "true",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.shuffle.partitions": "4",
    "spark.default.parallelism": "2",
    "spark.ui.enabled": "false",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    # A Parquet timestamp that DuckDB wrote as UTC-adjusted (timestamptz) is read as TIMESTAMP.
    "spark.sql.parquet.inferTimestampNTZ.enabled": "false",
    # DuckDB's Parquet files may be replaced under a table: never serve stale file listings long.
    "spark.sql.hive.filesourcePartitionFileCacheSize": "0",
}


def server_dir(data_dir: Path) -> Path:
    """The server's own files: metastore, log, scratch space, pid file."""
    return Path(data_dir) / "spark-server"


def pid_file(data_dir: Path) -> Path:
    return server_dir(data_dir) / "thriftserver.pid"


def log_file(data_dir: Path) -> Path:
    return server_dir(data_dir) / "thriftserver.log"


def warehouse_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "spark-warehouse"


def is_up(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, timeout: float = 1.0) -> bool:
    """Whether something accepts connections at host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _spark_home() -> Path:
    try:
        import pyspark
    except ImportError as error:  # the `spark` extra: pip install -e '.[spark]'
        raise RuntimeError("pyspark is not installed: install the project's `spark` extra") from error
    return Path(pyspark.__file__).resolve().parent


def _running_pid(data_dir: Path) -> int | None:
    try:
        pid = int(pid_file(data_dir).read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    return pid


def command(data_dir: Path, host: str, port: int) -> list[str]:
    """The spark-submit command line of the server."""
    data_dir = Path(data_dir).resolve()
    metastore = server_dir(data_dir) / "metastore_db"
    scratch = server_dir(data_dir) / "scratch"
    conf = {
        **SPARK_CONF,
        "spark.sql.warehouse.dir": str(warehouse_dir(data_dir)),
        "spark.local.dir": str(scratch),
        "spark.hadoop.javax.jdo.option.ConnectionURL": f"jdbc:derby:;databaseName={metastore};create=true",
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={server_dir(data_dir)}",
    }
    args = [str(_spark_home() / "bin" / "spark-submit"), "--master", "local[2]", "--driver-memory", DRIVER_MEMORY,
            "--class", "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2", "--name", "prod-pipelines-thrift"]
    for key, value in conf.items():
        args += ["--conf", f"{key}={value}"]
    args += ["spark-internal",
             "--hiveconf", f"hive.server2.thrift.bind.host={host}",
             "--hiveconf", f"hive.server2.thrift.port={port}",
             "--hiveconf", f"hive.metastore.warehouse.dir={warehouse_dir(data_dir)}",
             "--hiveconf", f"hive.exec.scratchdir={scratch / SCRATCH_DIRS[0]}",
             "--hiveconf", f"hive.exec.local.scratchdir={scratch / SCRATCH_DIRS[1]}",
             "--hiveconf", f"hive.downloaded.resources.dir={scratch / SCRATCH_DIRS[2]}",
             "--hiveconf", f"hive.querylog.location={scratch / SCRATCH_DIRS[3]}",
             "--hiveconf", f"hive.server2.logging.operation.log.location={scratch / SCRATCH_DIRS[4]}"]
    return args


def start(data_dir: Path, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
          timeout: float = START_TIMEOUT_SECONDS) -> int:
    """Starts the server for `data_dir` on host:port and waits until it accepts connections; its pid.

    Already running for this data dir (its pid file names a live process) and up: returns that pid.
    Something else on the port: fails. The server dies or stays closed for `timeout` seconds: fails
    with the tail of its log (`<data dir>/spark-server/thriftserver.log`).
    """
    data_dir = Path(data_dir).resolve()
    running = _running_pid(data_dir)
    if running is not None and is_up(host, port):
        return running
    if running is not None:
        stop(data_dir)
    if is_up(host, port):
        raise RuntimeError(f"{host}:{port} is already taken by another process: choose another "
                           f"{SPARK_PORT_VAR} or stop what listens there")
    folder = server_dir(data_dir)
    # Made here, not by Hive: two sessions opening at once (dbt's threads) race to create them and the
    # loser fails with "Couldn't create directory".
    for sub in ("logs", *(f"scratch/{name}" for name in SCRATCH_DIRS)):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    warehouse_dir(data_dir).mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "SPARK_HOME": str(_spark_home()), "SPARK_LOG_DIR": str(folder / "logs"),
           "SPARK_LOCAL_DIRS": str(folder / "scratch"), "SPARK_LOCAL_IP": "127.0.0.1",
           "PYSPARK_PYTHON": os.environ.get("PYSPARK_PYTHON", "python3")}
    with open(log_file(data_dir), "ab") as log:
        process = subprocess.Popen(command(data_dir, host, port), cwd=folder, env=env, stdout=log,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    pid_file(data_dir).write_text(str(process.pid))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pid_file(data_dir).unlink(missing_ok=True)
            raise RuntimeError(f"the Spark Thrift Server exited with {process.returncode} before listening on "
                               f"{host}:{port}; the end of {log_file(data_dir)}:\n{_tail(log_file(data_dir))}")
        if is_up(host, port):
            return process.pid
        time.sleep(0.5)
    stop(data_dir)
    raise RuntimeError(f"the Spark Thrift Server did not listen on {host}:{port} within {timeout:.0f} s; "
                       f"the end of {log_file(data_dir)}:\n{_tail(log_file(data_dir))}")


def stop(data_dir: Path, timeout: float = 30.0) -> bool:
    """Stops the server started for `data_dir` (TERM, then KILL after `timeout` s); whether one was running."""
    data_dir = Path(data_dir).resolve()
    pid = _running_pid(data_dir)
    if pid is None:
        pid_file(data_dir).unlink(missing_ok=True)
        return False
    # start() made the server a session leader: its group holds the JVM and nothing else of ours.
    _signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.2)
    if _alive(pid):
        _signal_group(pid, signal.SIGKILL)
        while _alive(pid):
            time.sleep(0.1)
    pid_file(data_dir).unlink(missing_ok=True)
    return True


def _signal_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)


def _alive(pid: int) -> bool:
    try:
        waited, _ = os.waitpid(pid, os.WNOHANG)  # reaps it when it is our child
        if waited == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"
