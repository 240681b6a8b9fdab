"""`prod-pipelines`: seed synthetic data, run a range through Dagster, open the UI.

Each command imports what it needs when it runs, so `--help` and `seed` start without loading Dagster.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from prod_pipelines.settings import DATA_DIR_VAR, REPO_ROOT, Settings, yesterday


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["impact"]:  # its own parser: prod-pipelines impact --help
        from prod_pipelines.ops.impact import main_impact

        return main_impact(argv[1:])
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env(data_dir=getattr(args, "data_dir", None))
        settings.export()  # dbt and Dagster, in this process, see the same data dir and no telemetry
        return args.command(args, settings)
    except (ValueError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="prod-pipelines", description=__doc__)
    sub = parser.add_subparsers(required=True, metavar="command")
    data = argparse.ArgumentParser(add_help=False)  # the option every command that reads or writes data takes
    data.add_argument("--data-dir", help=f"data directory (default: ${DATA_DIR_VAR} or ./data)")

    seed = sub.add_parser("seed", parents=[data], help="write a synthetic landing zone (spec §1, §5)")
    _add_range(seed)
    seed.add_argument("--scale", type=float, default=0.1, help="scale factor (1 = 1,000 stores, ~100k lines/day)")
    seed.add_argument("--seed", type=int, default=7, help="random seed (same arguments, same bytes)")
    seed.set_defaults(command=_seed)

    backfill = sub.add_parser("backfill", parents=[data],
                              help="run ingest -> dbt -> exports -> delivery for a date range (one run)")
    _add_range(backfill)
    _add_approval(backfill)
    backfill.add_argument("--feeds", help="reload only these raw feeds (comma-separated); recompute all downstream")
    backfill.add_argument("--dry-run", action="store_true", help="print what the run would do, change nothing")
    backfill.set_defaults(command=_backfill)

    deliver = sub.add_parser("deliver", parents=[data],
                             help="send each consumer the newest complete partition of its export")
    _add_approval(deliver)
    deliver.add_argument("--dry-run", action="store_true", help="print, per consumer, the day it would be sent and "
                         "the rows created, updated and deleted (with samples); send nothing")
    deliver.add_argument("--format", choices=["text", "json"], default="text", help="the --dry-run report's form")
    deliver.set_defaults(command=_deliver)

    back = sub.add_parser("rollback", parents=[data],
                          help="restore a consumer to its previous (or a given) successful sync")
    back.add_argument("consumer", help="retailer_app, salesforce or crm_email")
    back.add_argument("--to", dest="to_sync_id", help="the sync id to restore (see `prod-pipelines syncs`)")
    back.set_defaults(command=_rollback)

    syncs = sub.add_parser("syncs", parents=[data], help="list a consumer's syncs from the ledger, oldest first")
    syncs.add_argument("consumer")
    syncs.add_argument("--key", help="instead, what one record got and when, from delivery.sync_changelog: its "
                                     "external id (S001:K0001), or its leading key values (S001: every record of "
                                     "the store)")
    syncs.set_defaults(command=_syncs)

    iowa = sub.add_parser("import-iowa", parents=[data],
                          help="publish the real Iowa Liquor Sales extract as a landing zone")
    iowa.add_argument("--source", required=True, help="folder holding the Iowa extract (shared/realdata)")
    iowa.add_argument("--start", type=date.fromisoformat, help="first day to publish (default: first order date)")
    iowa.add_argument("--end", type=date.fromisoformat, help="last day to publish (default: last order date)")
    iowa.set_defaults(command=_import_iowa)

    validate = sub.add_parser("validate", help="check landing files against the contract before publishing them "
                                               "(exit 1 when a row would be rejected or a partition stopped)")
    validate.add_argument("paths", nargs="+", type=Path, metavar="PATH",
                          help="files, or dt= folders, of a landing layout <feed>/dt=YYYY-MM-DD/")
    validate.add_argument("--feed", help="the feed of files outside a landing layout")
    validate.add_argument("--day", type=date.fromisoformat, help="the partition day of files outside a landing layout")
    validate.add_argument("--format", choices=("table", "json"), default="table")
    validate.add_argument("--show", type=int, default=20, help="rejects listed per partition in the table (default 20)")
    validate.set_defaults(command=_validate)

    held = sub.add_parser("suppressions", parents=[data],
                          help="the consumers' suppressions in force, per consumer, and those ending within "
                               "14 days (spec §6: review each before it lapses)")
    held.add_argument("--as-of", type=date.fromisoformat,
                      help="the day to report on (default: the newest day loaded)")
    held.add_argument("--format", choices=("table", "json"), default="table")
    held.set_defaults(command=_suppressions)

    health = sub.add_parser("health", parents=[data],
                            help="per consumer: the last good day delivered, its age against the SLA, missing days "
                                 "and failing checks (exit 1 when a person is needed: for cron or a probe)")
    health.add_argument("--at", type=_moment, metavar="YYYY-MM-DDTHH:MM",
                        help="judge the SLA at this moment, UTC (default: now); the ledger is read as it is now")
    health.add_argument("--format", choices=("table", "json"), default="table")
    health.set_defaults(command=_health)

    sub.add_parser("impact", help="who depends on an asset or column: prod-pipelines impact raw/inventory.on_hand_qty",
                   add_help=False)

    canary = sub.add_parser("canary", parents=[data],
                            help="build one day of marts and exports from a changed dbt project into canary_* "
                                 "schemas and report the difference with the main tables")
    canary.add_argument("--date", type=date.fromisoformat, required=True, help="the as-of day to compare")
    canary.add_argument("--project-dir", help="the changed dbt project (default: this repository's)")
    canary.add_argument("--format", choices=("table", "json"), default="table")
    canary.set_defaults(command=_canary)

    contracts = sub.add_parser("contracts", help="fail when a change breaks an export version a consumer is pinned "
                               "to; names the consumers (CI: --against origin/main)")
    contracts.add_argument("--against", required=True, metavar="REVISION|MANIFEST",
                           help="what is deployed: a git revision (origin/main, HEAD~1) or a saved manifest.json")
    contracts.set_defaults(command=_contracts)

    prepare = sub.add_parser("prepare", help="parse the dbt project into its manifest (an image's build step; "
                                             "loading the definitions then starts no dbt process)")
    prepare.set_defaults(command=_prepare)

    docs = sub.add_parser("docs", parents=[data], help="build the dbt docs site offline into <data dir>/dbt-docs "
                                                       "(lineage, models, columns, tests)")
    docs.set_defaults(command=_docs)

    dictionary = sub.add_parser("data-dictionary", help="regenerate docs/data-dictionary.md from the dbt manifest")
    dictionary.set_defaults(command=_data_dictionary)

    dev = sub.add_parser("dev", parents=[data], help="start the Dagster UI and daemon on this data dir")
    dev.add_argument("--port", type=int, default=3000)
    dev.set_defaults(command=_dev)

    ui = sub.add_parser("ui", parents=[data], help="start only the Dagster webserver on this data dir's instance "
                                                   "(no daemon: for people who look, while production runs)")
    ui.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0: every interface)")
    ui.add_argument("--port", type=int, default=3000)
    ui.add_argument("--read-only", action="store_true", help="viewers see runs, assets and logs but cannot launch, "
                    "cancel, re-execute, wipe, or turn schedules and sensors on or off")
    ui.set_defaults(command=_ui)
    return parser


def _add_range(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--start", type=date.fromisoformat,
                        help="first day, YYYY-MM-DD (default: the first partition; in dev, 100 days ago)")
    parser.add_argument("--end", type=date.fromisoformat, help="last day (inclusive), YYYY-MM-DD (default: yesterday)")


def _add_approval(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--approve-large-change", metavar="CONSUMERS",
                        help="approve, for this run, a delivery beyond the blast-radius limit (names, or 'all')")


def _check_range(args: argparse.Namespace, settings: Settings, *, within_partitions: bool = True) -> None:
    """Fills the range's defaults (the first partition, yesterday) and refuses a range that cannot run."""
    args.start = args.start or settings.start_date
    args.end = args.end or yesterday()
    if args.start > args.end:
        raise ValueError(f"--start {args.start} is after --end {args.end}")
    if within_partitions and args.start < settings.start_date:
        raise ValueError(f"--start {args.start} is before the first partition {settings.start_date} "
                         f"(set PROD_PIPELINES_START_DATE)")


def _seed(args: argparse.Namespace, settings: Settings) -> int:
    from prod_pipelines.producers.synthetic import generate_landing

    _check_range(args, settings, within_partitions=False)  # a landing zone may hold days before the partitions
    written = generate_landing(settings.data_dir, args.start, args.end, args.scale, seed=args.seed)
    print(f"seeded {settings.landing_dir} for {args.start}..{args.end} at scale {args.scale}: "
          + ", ".join(f"{feed} {rows:,} rows" for feed, rows in written.items()))
    return 0


def _import_iowa(args: argparse.Namespace, settings: Settings) -> int:
    from prod_pipelines.producers.iowa import import_iowa

    written = import_iowa(Path(args.source), settings.data_dir, args.start, args.end)
    print(f"published the Iowa extract into {settings.landing_dir}: "
          + ", ".join(f"{feed} {rows:,} rows" for feed, rows in written.items()))
    return 0


def _backfill(args: argparse.Namespace, settings: Settings) -> int:
    from prod_pipelines.ops.run_summary import print_summary
    from prod_pipelines.ops.runner import open_instance, run_partitions

    _check_range(args, settings)
    feeds = [f.strip() for f in args.feeds.split(",")] if args.feeds else None
    if args.dry_run:
        from prod_pipelines.ops.dry_run import print_plan

        print_plan(settings, args.start, args.end, feeds)
        return 0
    instance = open_instance(settings)
    if not _reported(run_partitions(instance, args.start, args.end, args.approve_large_change, feeds)):
        return 1
    print_summary(settings, args.start, args.end)
    return 0


def _deliver(args: argparse.Namespace, settings: Settings) -> int:
    from prod_pipelines.ops.runner import open_instance, run_delivery

    if args.dry_run:
        from prod_pipelines.delivery.operations import preview_deliveries

        print(preview_deliveries(settings, args.approve_large_change, args.format))
        return 0

    return 0 if _reported(run_delivery(open_instance(settings), args.approve_large_change)) else 1


def _rollback(args: argparse.Namespace, settings: Settings) -> int:
    from prod_pipelines.delivery.operations import roll_back

    outcome = roll_back(settings, args.consumer, args.to_sync_id)
    receipt = outcome.receipt
    print(f"{args.consumer}: {outcome.status} as sync {outcome.sync_id}: {receipt.rows} rows at {receipt.location} "
          f"({receipt.added} added, {receipt.changed} changed, {receipt.removed} removed)")
    return 0


def _syncs(args: argparse.Namespace, settings: Settings) -> int:
    from prod_pipelines.delivery.operations import record_history, sync_history

    if args.key is not None:
        found = record_history(settings, args.consumer, args.key)
        for entry in found:
            print(f"{entry['synced_at']:%Y-%m-%d %H:%M:%S} {entry['partition_date']} {entry['record_key']:<24} "
                  f"{entry['operation']:<7} {entry['result']:<9} {entry['sync_id']}  {entry['error'] or ''}")
        if not found:
            print(f"{args.consumer}: no logged operation on a record {args.key!r} (within the log's retention)")
        return 0
    for sync in sync_history(settings, args.consumer):
        rejected = f"  {sync['rejected']} rejected" if sync["rejected"] else ""
        print(f"{sync['sync_id']:<45} {sync['action']:<8} {sync['status']:<11} {sync['partition_date']} "
              f"{sync['rows'] if sync['rows'] is not None else '-':>7} rows{rejected}  {sync['message'] or ''}")
    return 0


def _validate(args: argparse.Namespace, _settings: Settings) -> int:
    from prod_pipelines.ops import validate

    grouped = validate.partitions(args.paths, args.feed, args.day)
    verdicts = [validate.judge(feed, day, files) for (feed, day), files in sorted(grouped.items())]
    print(validate.report(verdicts, args.format, args.show))
    return 0 if all(v.clean for v in verdicts) else 1


def _suppressions(args: argparse.Namespace, settings: Settings) -> int:
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


def _moment(text: str) -> datetime:
    """An ISO timestamp; without an offset it is UTC."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO timestamp such as 2025-03-13T10:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _health(args: argparse.Namespace, settings: Settings) -> int:
    import json

    from prod_pipelines.delivery.consumers import consumers
    from prod_pipelines.ops.health import judge, report
    from prod_pipelines.warehouse import Warehouse

    if not settings.warehouse_path.exists():
        raise FileNotFoundError(f"{settings.warehouse_path}: no warehouse yet; run a backfill first")
    at = args.at or datetime.now(UTC)
    with Warehouse.of(settings).connect(read_only=True) as conn:
        health = judge(conn, consumers(), settings.start_date, at)
    print(json.dumps([h.as_json() for h in health], indent=2) if args.format == "json" else report(health, at))
    return 1 if any(h.needs_person for h in health) else 0


def _reported(outcome) -> bool:
    """Prints a run's outcome (the error goes to stderr) and says whether it succeeded."""
    status = "succeeded" if outcome.success else "succeeded, with days held back" if outcome.run_succeeded else "FAILED"
    print(f"{outcome.job} run {outcome.run_id}: {status}")
    if not outcome.success:
        print(f"error: {outcome.job} run {outcome.run_id}: {status}:\n{outcome.error}", file=sys.stderr)
    return outcome.success


def _canary(args: argparse.Namespace, settings: Settings) -> int:
    import json

    from prod_pipelines.ops import canary
    from prod_pipelines.settings import DBT_PROJECT_DIR

    canary.build(settings, args.date, Path(args.project_dir).resolve() if args.project_dir else DBT_PROJECT_DIR)
    diff = canary.compare(settings, args.date)
    print(json.dumps(diff, indent=1) if args.format == "json" else canary.table(diff))
    return 0


def _contracts(args: argparse.Namespace, _settings: Settings) -> int:
    from prod_pipelines.dbt.baseline import baseline_manifest
    from prod_pipelines.dbt.project import manifest
    from prod_pipelines.delivery.export_contracts import compare, report

    findings = compare(baseline_manifest(args.against), manifest(), date.today())
    print(f"Export contracts against {args.against}:\n{report(findings)}")
    return 1 if any(f.breaking for f in findings) else 0


def _prepare(args: argparse.Namespace, settings: Settings) -> int:
    from prod_pipelines.dbt.project import DBT_PROJECT, ensure_manifest

    ensure_manifest()
    print(f"dbt manifest ready: {DBT_PROJECT.manifest_path}")
    return 0


def _docs(args: argparse.Namespace, settings: Settings) -> int:
    from prod_pipelines.dbt.commands import docs_site

    print(f"open {docs_site(settings.warehouse_path, settings.data_dir / 'dbt-docs')}")
    return 0


def _data_dictionary(args: argparse.Namespace, settings: Settings) -> int:
    from prod_pipelines.ops.data_dictionary import TARGET, write

    write()
    print(f"wrote {TARGET}")
    return 0


def _dev(args: argparse.Namespace, settings: Settings) -> int:
    return _exec_dagster(settings, "dagster", "dev", "-h", "127.0.0.1", "-p", str(args.port))


def _ui(args: argparse.Namespace, settings: Settings) -> int:
    read_only = ["--read-only"] if args.read_only else []
    return _exec_dagster(settings, "dagster-webserver", "-h", args.host, "-p", str(args.port), *read_only)


def _exec_dagster(settings: Settings, program: str, *args: str) -> int:
    """Becomes `program` (beside this Python) on this project's workspace and this data dir's instance."""
    from prod_pipelines.ops.runner import prepare_dagster_home

    env = settings.child_env(DAGSTER_HOME=str(prepare_dagster_home(settings)))
    command = [str(Path(sys.executable).with_name(program)), *args, "-w", str(REPO_ROOT / "workspace.yaml")]
    os.chdir(REPO_ROOT)
    os.execve(command[0], command, env)
    return 0


if __name__ == "__main__":
    sys.exit(main())
