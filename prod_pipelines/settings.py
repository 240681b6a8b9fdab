"""The one module that reads (and writes) the environment and knows where things live.

Everything else receives a `Settings` value; nothing else touches `os.environ`.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
DEFAULT_START_DATE = date(2025, 1, 1)
# The dbt installed beside this Python (the project's venv), so dbt need not be on PATH.
DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))

DATA_DIR_VAR = "PROD_PIPELINES_DATA_DIR"
START_DATE_VAR = "PROD_PIPELINES_START_DATE"
ENV_VAR = "PROD_PIPELINES_ENV"
ALERT_WEBHOOK_VAR = "PROD_PIPELINES_ALERT_WEBHOOK_URL"
DAGSTER_PG_URL_VAR = "PROD_PIPELINES_DAGSTER_PG_URL"
LOG_FORMAT_VAR = "PROD_PIPELINES_LOG_FORMAT"
LOG_FORMATS = ("text", "json")
# Where dbt builds: the embedded DuckDB file (default), or Apache Spark over the Parquet lake
# (docs/scaling.md). The DuckDB file stays the control plane's store either way: raw loads, check
# results, verdicts, the delivery ledger and the served copy of the exports.
WAREHOUSE_VAR = "PROD_PIPELINES_WAREHOUSE"
ENGINES = ("duckdb", "spark")
SPARK_HOST_VAR = "PROD_PIPELINES_SPARK_HOST"
SPARK_PORT_VAR = "PROD_PIPELINES_SPARK_PORT"
ENVIRONMENT_CONFIG_DIR = Path(__file__).with_name("config")
ENVIRONMENTS = ("dev", "staging", "prod")
# dbt's and Dagster's usage statistics are off for every process the project starts.
NO_TELEMETRY = {"DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DAGSTER_DISABLE_TELEMETRY": "1"}
# libpq's sslmode values, weakest first: from `require` on the connection is encrypted, and
# `verify-full` also checks that the server's certificate names the host (no man in the middle).
SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")


@dataclass(frozen=True)
class Settings:
    """Where the data lives and where the daily partitions begin."""

    data_dir: Path
    start_date: date = DEFAULT_START_DATE
    env: str = "dev"
    # Names (never values) of the PROD_PIPELINES_* variables that are set: secrets are read at run
    # time through dg.EnvVar, but a missing one must fail when the definitions load, not mid-run.
    variables_set: frozenset[str] = frozenset()
    log_format_override: str | None = None
    engine: str = "duckdb"
    spark_host: str = "127.0.0.1"
    spark_port: int = 10000

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, data_dir: str | None = None) -> Settings:
        """The settings the environment names; `data_dir` (a command's `--data-dir`) wins over its variable."""
        env = os.environ if environ is None else environ
        data_dir_path = Path(data_dir or env.get(DATA_DIR_VAR) or "data").expanduser().resolve()
        raw_start = env.get(START_DATE_VAR)
        try:
            start = date.fromisoformat(raw_start) if raw_start else None
        except ValueError:
            raise ValueError(f"{START_DATE_VAR}={raw_start!r} is not an ISO date (YYYY-MM-DD)") from None
        name = env.get(ENV_VAR) or "dev"
        if name not in ENVIRONMENTS:
            raise ValueError(f"{ENV_VAR}={name!r} is not one of {', '.join(ENVIRONMENTS)}")
        start = start or configured_start_date(name)
        log_format = env.get(LOG_FORMAT_VAR) or None
        if log_format not in (None, *LOG_FORMATS):
            raise ValueError(f"{LOG_FORMAT_VAR}={log_format!r} is not one of {', '.join(LOG_FORMATS)}")
        present = frozenset(k for k, v in env.items() if k.startswith("PROD_PIPELINES_") and v)
        refuse_postgres_without_tls(name, {k: env[k] for k in present})
        engine = env.get(WAREHOUSE_VAR) or "duckdb"
        if engine not in ENGINES:
            raise ValueError(f"{WAREHOUSE_VAR}={engine!r} is not one of {', '.join(ENGINES)}")
        raw_port = env.get(SPARK_PORT_VAR) or "10000"
        if not raw_port.isdigit():
            raise ValueError(f"{SPARK_PORT_VAR}={raw_port!r} is not a port number")
        return cls(data_dir=data_dir_path, start_date=start, env=name, variables_set=present,
                   log_format_override=log_format, engine=engine,
                   spark_host=env.get(SPARK_HOST_VAR) or "127.0.0.1", spark_port=int(raw_port))

    @property
    def config(self) -> dict:
        """The environment's versioned, non-secret settings (prod_pipelines/config/<env>.yaml)."""
        return yaml.safe_load((ENVIRONMENT_CONFIG_DIR / f"{self.env}.yaml").read_text())

    @property
    def dbt_target(self) -> str:
        """profiles.yml's output dbt builds with: the environment's, or `spark` on the Spark engine."""
        return "spark" if self.engine == "spark" else self.config["dbt_target"]

    @property
    def duckdb_limits(self) -> dict[str, str | int]:
        """The DuckDB memory cap and threads of this environment's dbt target (profiles.yml), the one home
        of both: dbt and every connection the pipeline opens itself use the same caps."""
        profile = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text())["prod_pipelines"]
        output = profile["outputs"][self.config["dbt_target"]]
        return {"memory_limit": output.get("settings", {}).get("memory_limit", "1GB"),
                "threads": int(output.get("threads", 2))}

    @property
    def sync_log_retention_days(self) -> int:
        days = self.config["sync_log_retention_days"]
        if not isinstance(days, int) or days < 1:
            raise ValueError(f"config/{self.env}.yaml: sync_log_retention_days must be a whole number of days "
                             f">= 1, not {days!r}")
        return days

    @property
    def automation_running(self) -> bool:
        return bool(self.config["automation_running"])

    @property
    def log_format(self) -> str:
        """`text` (Dagster's console lines) or `json` (one object per line: message, run id, step, tags)."""
        chosen = self.log_format_override or self.config["log_format"]
        if chosen not in LOG_FORMATS:
            raise ValueError(f"config/{self.env}.yaml: log_format {chosen!r} is not one of {', '.join(LOG_FORMATS)}")
        return chosen

    @property
    def dagster_instance_template(self) -> str:
        return self.config["dagster_instance"]

    def require(self, *names: str) -> None:
        """Fails when a variable the environment needs is not set, naming it."""
        missing = [n for n in names if n not in self.variables_set]
        if missing:
            raise ValueError(f"{self.env}: environment variable(s) {', '.join(missing)} must be set")

    @property
    def landing_dir(self) -> Path:
        return self.data_dir / "landing"

    @property
    def warehouse_path(self) -> Path:
        return self.data_dir / "warehouse.duckdb"

    @property
    def lake_dir(self) -> Path:
        """The raw layer as Parquet, `<feed>/dt=<day>/` (hive layout), which the Spark engine reads."""
        return self.data_dir / "lake"

    @property
    def destinations_dir(self) -> Path:
        return self.data_dir / "destinations"

    @property
    def dagster_home(self) -> Path:
        return self.data_dir / "dagster"

    def as_env(self) -> dict[str, str]:
        """The variables that make a child process (dbt, a Dagster daemon) see these settings."""
        return {DATA_DIR_VAR: str(self.data_dir), START_DATE_VAR: self.start_date.isoformat(), ENV_VAR: self.env,
                LOG_FORMAT_VAR: self.log_format, WAREHOUSE_VAR: self.engine, SPARK_HOST_VAR: self.spark_host,
                SPARK_PORT_VAR: str(self.spark_port), **NO_TELEMETRY}

    def child_env(self, **extra: str) -> dict[str, str]:
        """This process's environment with these settings (and `extra`): what a child process is given."""
        return process_env(**self.as_env(), **extra)

    def export(self, **extra: str) -> None:
        """Makes this process carry these settings (and `extra`, such as DAGSTER_HOME), so the definitions
        that a Dagster run reconstructs in this process read the same data dir back."""
        os.environ.update({**self.as_env(), **extra})


def configured_start_date(env: str, today: date | None = None) -> date:
    """The first daily partition `config/<env>.yaml` names: a date, or `N days ago` (dev's demo lives
    in the present: its partitions are the last 100 days, the days `make run` seeds)."""
    value = yaml.safe_load((ENVIRONMENT_CONFIG_DIR / f"{env}.yaml").read_text()).get("start_date", DEFAULT_START_DATE)
    if isinstance(value, date):
        return value
    days, _, unit = str(value).partition(" ")
    if not days.isdigit() or unit != "days ago":
        raise ValueError(f"config/{env}.yaml: start_date {value!r} is neither a date nor 'N days ago'")
    return (today or date.today()) - timedelta(days=int(days))


def refuse_postgres_without_tls(env: str, variables: Mapping[str, str]) -> None:
    """Fails when a variable holds a PostgreSQL URL whose sslmode is weaker than `config/<env>.yaml`'s
    `postgres_min_sslmode`, naming the variable and the setting (never the value: it may hold a password).

    The URL must say it itself (`?sslmode=verify-full`): libpq's PGSSLMODE and its default, `prefer`,
    fall back to plain text silently. Over a Unix socket libpq never uses TLS and ignores sslmode.
    """
    minimum = yaml.safe_load((ENVIRONMENT_CONFIG_DIR / f"{env}.yaml").read_text())["postgres_min_sslmode"]
    if minimum not in SSLMODES:
        raise ValueError(f"config/{env}.yaml: postgres_min_sslmode {minimum!r} is not one of {', '.join(SSLMODES)}")
    for name, value in sorted(variables.items()):
        if not re.match(r"postgres(ql)?(\+\w+)?://", value):
            continue
        found = re.search(r"[?&]sslmode=([^&#]*)", value)
        mode = found.group(1) if found else "prefer"  # libpq's default
        if mode not in SSLMODES:
            raise ValueError(f"{env}: {name} has sslmode={mode!r}, which is not one of {', '.join(SSLMODES)}")
        if SSLMODES.index(mode) < SSLMODES.index(minimum):
            said = f"sslmode={mode}" if found else "no sslmode"
            raise ValueError(f"{env}: {name} has {said}, but config/{env}.yaml sets postgres_min_sslmode: {minimum} "
                             f"(TLS at least that strict): add sslmode={minimum} to its URL")


def yesterday() -> date:
    """The newest day whose data can be complete: the last daily partition."""
    return date.today() - timedelta(days=1)


def process_env(**extra: str) -> dict[str, str]:
    """This process's environment with telemetry off (and `extra`): for a child process such as dbt."""
    return {**os.environ, **NO_TELEMETRY, **extra}


def destination_url_var(consumer: str) -> str:
    """Where a consumer's real destination is: an fsspec URL, an http(s) base URL or a postgresql:// DSN."""
    return f"PROD_PIPELINES_{consumer.upper()}_URL"


def destination_token_var(consumer: str) -> str:
    """The bearer token of a consumer's HTTP API (a secret: environment only)."""
    return f"PROD_PIPELINES_{consumer.upper()}_TOKEN"
