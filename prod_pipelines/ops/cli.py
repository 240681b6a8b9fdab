"""`prod-pipelines`: seed synthetic data, run a range through Dagster, open the UI.

Each command imports what it needs when it runs, so `--help` and `seed` start without loading Dagster.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from prod_pipelines.ops import cli_delivery as delivery
from prod_pipelines.ops import cli_pipeline as pipeline
from prod_pipelines.settings import DATA_DIR_VAR, Settings


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
    seed.set_defaults(command=pipeline.seed)

    backfill = sub.add_parser("backfill", parents=[data],
                              help="run ingest -> dbt -> exports -> delivery for a date range (one run)")
    _add_range(backfill)
    _add_approval(backfill)
    backfill.add_argument("--feeds", help="reload only these raw feeds (comma-separated); recompute all downstream")
    backfill.add_argument("--dry-run", action="store_true", help="print what the run would do, change nothing")
    backfill.set_defaults(command=pipeline.backfill)

    deliver = sub.add_parser("deliver", parents=[data],
                             help="send each consumer the newest complete partition of its export")
    _add_approval(deliver)
    deliver.add_argument("--dry-run", action="store_true", help="print, per consumer, the day it would be sent and "
                         "the rows created, updated and deleted (with samples); send nothing")
    deliver.add_argument("--format", choices=["text", "json"], default="text", help="the --dry-run report's form")
    deliver.set_defaults(command=delivery.deliver)

    back = sub.add_parser("rollback", parents=[data],
                          help="restore a consumer to its previous (or a given) successful sync")
    back.add_argument("consumer", help="retailer_app, salesforce or crm_email")
    back.add_argument("--to", dest="to_sync_id", help="the sync id to restore (see `prod-pipelines syncs`)")
    back.set_defaults(command=delivery.rollback)

    syncs = sub.add_parser("syncs", parents=[data], help="list a consumer's syncs from the ledger, oldest first")
    syncs.add_argument("consumer")
    syncs.add_argument("--key", help="instead, what one record got and when, from delivery.sync_changelog: its "
                                     "external id (S001:K0001), or its leading key values (S001: every record of "
                                     "the store)")
    syncs.set_defaults(command=delivery.syncs)

    iowa = sub.add_parser("import-iowa", parents=[data],
                          help="publish the real Iowa Liquor Sales extract as a landing zone")
    iowa.add_argument("--source", required=True, help="folder holding the Iowa extract (shared/realdata)")
    iowa.add_argument("--start", type=date.fromisoformat, help="first day to publish (default: first order date)")
    iowa.add_argument("--end", type=date.fromisoformat, help="last day to publish (default: last order date)")
    iowa.set_defaults(command=pipeline.import_iowa)

    validate = sub.add_parser("validate", help="check landing files against the contract before publishing them "
                                               "(exit 1 when a row would be rejected or a partition stopped)")
    validate.add_argument("paths", nargs="+", type=Path, metavar="PATH",
                          help="files, or dt= folders, of a landing layout <feed>/dt=YYYY-MM-DD/")
    validate.add_argument("--feed", help="the feed of files outside a landing layout")
    validate.add_argument("--day", type=date.fromisoformat, help="the partition day of files outside a landing layout")
    validate.add_argument("--format", choices=("table", "json"), default="table")
    validate.add_argument("--show", type=int, default=20, help="rejects listed per partition in the table (default 20)")
    validate.set_defaults(command=pipeline.validate)

    held = sub.add_parser("suppressions", parents=[data],
                          help="the consumers' suppressions in force, per consumer, and those ending within "
                               "14 days (spec §6: review each before it lapses)")
    held.add_argument("--as-of", type=date.fromisoformat,
                      help="the day to report on (default: the newest day loaded)")
    held.add_argument("--format", choices=("table", "json"), default="table")
    held.set_defaults(command=pipeline.suppressions)

    health = sub.add_parser("health", parents=[data],
                            help="per consumer: the last good day delivered, its age against the SLA, missing days "
                                 "and failing checks (exit 1 when a person is needed: for cron or a probe)")
    health.add_argument("--at", type=delivery.moment, metavar="YYYY-MM-DDTHH:MM",
                        help="judge the SLA at this moment, UTC (default: now); the ledger is read as it is now")
    health.add_argument("--format", choices=("table", "json"), default="table")
    health.set_defaults(command=delivery.health)

    spark = sub.add_parser("spark-server", parents=[data],
                           help="start or stop a local Apache Spark Thrift Server for PROD_PIPELINES_WAREHOUSE=spark "
                                "(tables under <data dir>/spark-warehouse; docs/scaling.md)")
    spark.add_argument("action", choices=("start", "stop", "status"))
    spark.set_defaults(command=pipeline.spark_server)

    sub.add_parser("impact", help="who depends on an asset or column: prod-pipelines impact raw/inventory.on_hand_qty",
                   add_help=False)

    canary = sub.add_parser("canary", parents=[data],
                            help="build one day of marts and exports from a changed dbt project into canary_* "
                                 "schemas and report the difference with the main tables")
    canary.add_argument("--date", type=date.fromisoformat, required=True, help="the as-of day to compare")
    canary.add_argument("--project-dir", help="the changed dbt project (default: this repository's)")
    canary.add_argument("--format", choices=("table", "json"), default="table")
    canary.set_defaults(command=pipeline.canary)

    contracts = sub.add_parser("contracts", help="fail when a change breaks an export version a consumer is pinned "
                               "to; names the consumers (CI: --against origin/main)")
    contracts.add_argument("--against", required=True, metavar="REVISION|MANIFEST",
                           help="what is deployed: a git revision (origin/main, HEAD~1) or a saved manifest.json")
    contracts.set_defaults(command=pipeline.contracts)

    prepare = sub.add_parser("prepare", help="parse the dbt project into its manifest (an image's build step; "
                                             "loading the definitions then starts no dbt process)")
    prepare.set_defaults(command=pipeline.prepare)

    docs = sub.add_parser("docs", parents=[data], help="build the dbt docs site offline into <data dir>/dbt-docs "
                                                       "(lineage, models, columns, tests)")
    docs.set_defaults(command=pipeline.docs)

    dictionary = sub.add_parser("data-dictionary", help="regenerate docs/data-dictionary.md from the dbt manifest")
    dictionary.set_defaults(command=pipeline.data_dictionary)

    dev = sub.add_parser("dev", parents=[data], help="start the Dagster UI and daemon on this data dir")
    dev.add_argument("--port", type=int, default=3000)
    dev.set_defaults(command=pipeline.dev)

    ui = sub.add_parser("ui", parents=[data], help="start only the Dagster webserver on this data dir's instance "
                                                   "(no daemon: for people who look, while production runs)")
    ui.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0: every interface)")
    ui.add_argument("--port", type=int, default=3000)
    ui.add_argument("--read-only", action="store_true", help="viewers see runs, assets and logs but cannot launch, "
                    "cancel, re-execute, wipe, or turn schedules and sensors on or off")
    ui.set_defaults(command=pipeline.ui)
    return parser


def _add_range(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--start", type=date.fromisoformat,
                        help="first day, YYYY-MM-DD (default: the first partition; in dev, 100 days ago)")
    parser.add_argument("--end", type=date.fromisoformat, help="last day (inclusive), YYYY-MM-DD (default: yesterday)")


def _add_approval(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--approve-large-change", metavar="CONSUMERS",
                        help="approve, for this run, a delivery beyond the blast-radius limit (names, or 'all')")


if __name__ == "__main__":
    sys.exit(main())
