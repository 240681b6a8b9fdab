"""The `prod-pipelines` commands that make and run data: seed, import, run a range, validate files,
check a change, build the docs, start the UI. Each imports what it needs when it runs."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date
from pathlib import Path

from prod_pipelines.settings import REPO_ROOT, WAREHOUSE_VAR, Settings, yesterday


def check_range(args: argparse.Namespace, settings: Settings, *, within_partitions: bool = True) -> None:
    """Fills the range's defaults (the first partition, yesterday) and refuses a range that cannot run."""
    args.start = args.start or settings.start_date
    args.end = args.end or yesterday()
    if args.start > args.end:
        raise ValueError(f"--start {args.start} is after --end {args.end}")
    if within_partitions and args.start < settings.start_date:
        raise ValueError(f"--start {args.start} is before the first partition {settings.start_date} "
                         f"(set PROD_PIPELINES_START_DATE)")


def seed(args: argparse.Namespace, settings: Settings) -> int:
    from prod_pipelines.producers.synthetic import generate_landing

    check_range(args, settings, within_partitions=False)  # a landing zone may hold days before the partitions
    written = generate_landing(settings.data_dir, args.start, args.end, args.scale, seed=args.seed)
    print(f"seeded {settings.landing_dir} for {args.start}..{args.end} at scale {args.scale}: "
          + ", ".join(f"{feed} {rows:,} rows" for feed, rows in written.items()))
    return 0


def import_iowa(args: argparse.Namespace, settings: Settings) -> int:
    from prod_pipelines.producers.iowa import import_iowa

    written = import_iowa(Path(args.source), settings.data_dir, args.start, args.end)
    print(f"published the Iowa extract into {settings.landing_dir}: "
          + ", ".join(f"{feed} {rows:,} rows" for feed, rows in written.items()))
    return 0


def backfill(args: argparse.Namespace, settings: Settings) -> int:
    from prod_pipelines.ops.run_summary import print_summary
    from prod_pipelines.ops.runner import open_instance, run_partitions

    check_range(args, settings)
    feeds = [f.strip() for f in args.feeds.split(",")] if args.feeds else None
    if args.dry_run:
        from prod_pipelines.ops.dry_run import print_plan

        print_plan(settings, args.start, args.end, feeds)
        return 0
    instance = open_instance(settings)
    if not reported(run_partitions(instance, args.start, args.end, args.approve_large_change, feeds)):
        return 1
    print_summary(settings, args.start, args.end)
    return 0


def validate(args: argparse.Namespace, _settings: Settings) -> int:
    from prod_pipelines.ops import validate

    grouped = validate.partitions(args.paths, args.feed, args.day)
    verdicts = [validate.judge(feed, day, files) for (feed, day), files in sorted(grouped.items())]
    print(validate.report(verdicts, args.format, args.show))
    return 0 if all(v.clean for v in verdicts) else 1


def suppressions(args: argparse.Namespace, settings: Settings) -> int:
    import json

    from prod_pipelines.landing.suppressions import REVIEW_DAYS, review
    from prod_pipelines.warehouse import Warehouse

    if not settings.warehouse_path.exists():
        raise FileNotFoundError(f"{settings.warehouse_path}: no warehouse yet; run a backfill first")
    with Warehouse.of(settings).connect(read_only=True) as conn:
        day = args.as_of or conn.execute("select max(dt) from raw.partition_loads").fetchone()[0] or date.today()
        report = review(conn, day)
    if args.format == "json":
        print(json.dumps(report, indent=2))
        return 0
    ending = report[f"expiring_within_{REVIEW_DAYS}_days"]
    print(f"Suppressions in force on {day} (published on or before it, last day not passed):")
    print(f"  {'consumer':<14} {'in force':>8} {f'ending within {REVIEW_DAYS} days':>24}")
    for consumer, count in report["in_force"].items():
        print(f"  {consumer:<14} {count:>8} {ending[consumer]:>24}")
    if report["expiring"]:
        print(f"Ending within {REVIEW_DAYS} days: review each (drop, renew, or make it a central rule):")
    for s in report["expiring"]:
        print(f"  last day {s['expires_on']}  store {s['store_id']}  item {s['sku_id']}  by {s['requested_by']}: "
              f"{s['reason']} (published {s['requested_on']})")
    return 0


def reported(outcome) -> bool:
    """Prints a run's outcome (the error goes to stderr) and says whether it succeeded."""
    status = "succeeded" if outcome.success else "succeeded, with days held back" if outcome.run_succeeded else "FAILED"
    print(f"{outcome.job} run {outcome.run_id}: {status}")
    if not outcome.success:
        print(f"error: {outcome.job} run {outcome.run_id}: {status}:\n{outcome.error}", file=sys.stderr)
    return outcome.success


def canary(args: argparse.Namespace, settings: Settings) -> int:
    import json

    from prod_pipelines.ops import canary
    from prod_pipelines.settings import DBT_PROJECT_DIR

    canary.build(settings, args.date, Path(args.project_dir).resolve() if args.project_dir else DBT_PROJECT_DIR)
    diff = canary.compare(settings, args.date)
    print(json.dumps(diff, indent=1) if args.format == "json" else canary.table(diff))
    return 0


def contracts(args: argparse.Namespace, _settings: Settings) -> int:
    from prod_pipelines.dbt.baseline import baseline_manifest
    from prod_pipelines.dbt.project import manifest
    from prod_pipelines.delivery.export_contracts import compare, report

    findings = compare(baseline_manifest(args.against), manifest(), date.today())
    print(f"Export contracts against {args.against}:\n{report(findings)}")
    return 1 if any(f.breaking for f in findings) else 0


def prepare(args: argparse.Namespace, settings: Settings) -> int:
    from prod_pipelines.dbt.project import DBT_PROJECT, ensure_manifest

    ensure_manifest()
    print(f"dbt manifest ready: {DBT_PROJECT.manifest_path}")
    return 0


def docs(args: argparse.Namespace, settings: Settings) -> int:
    from prod_pipelines.dbt.commands import docs_site

    print(f"open {docs_site(settings.warehouse_path, settings.data_dir / 'dbt-docs')}")
    return 0


def data_dictionary(args: argparse.Namespace, settings: Settings) -> int:
    from prod_pipelines.ops.data_dictionary import TARGET, write

    write()
    print(f"wrote {TARGET}")
    return 0


def dev(args: argparse.Namespace, settings: Settings) -> int:
    return exec_dagster(settings, "dagster", "dev", "-h", "127.0.0.1", "-p", str(args.port))


def ui(args: argparse.Namespace, settings: Settings) -> int:
    read_only = ["--read-only"] if args.read_only else []
    return exec_dagster(settings, "dagster-webserver", "-h", args.host, "-p", str(args.port), *read_only)


def exec_dagster(settings: Settings, program: str, *args: str) -> int:
    """Becomes `program` (beside this Python) on this project's workspace and this data dir's instance."""
    from prod_pipelines.ops.runner import prepare_dagster_home

    env = settings.child_env(DAGSTER_HOME=str(prepare_dagster_home(settings)))
    command = [str(Path(sys.executable).with_name(program)), *args, "-w", str(REPO_ROOT / "workspace.yaml")]
    os.chdir(REPO_ROOT)
    os.execve(command[0], command, env)
    return 0


def spark_server(args: argparse.Namespace, settings: Settings) -> int:
    """A local Spark Thrift Server at PROD_PIPELINES_SPARK_HOST:PORT for this data dir (the `spark` extra)."""
    from prod_pipelines.warehouses import spark_server as server

    host, port = settings.spark_host, settings.spark_port
    if args.action == "start":
        try:
            pid = server.start(settings.data_dir, host, port)
        except RuntimeError as error:  # no pyspark, port taken, or the server died: its log's tail says why
            print(f"error: {error}", file=sys.stderr)
            return 1
        print(f"Spark Thrift Server up at {host}:{port} (pid {pid}); tables under "
              f"{server.warehouse_dir(settings.data_dir)}, log {server.log_file(settings.data_dir)}")
        print(f"run the pipeline on it with {WAREHOUSE_VAR}=spark; stop it with `prod-pipelines spark-server stop`")
    elif args.action == "stop":
        stopped = server.stop(settings.data_dir)
        print(f"Spark Thrift Server {'stopped' if stopped else 'was not running'} for {settings.data_dir}")
    else:
        up = server.is_up(host, port)
        print(f"Spark Thrift Server at {host}:{port}: {'up' if up else 'down'}")
        return 0 if up else 1
    return 0
