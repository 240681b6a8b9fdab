"""`python -m prod_pipelines.bench [--scales 0.1,1] [--sf3] [--sf10] [--repeat 3]`: measure, write docs/benchmarks.md.

Exits 1 (and writes nothing) when two ways of computing the central result disagree; a missed
performance target is reported in the document, not an error.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

from prod_pipelines.bench import chart, document, machine, runs
from prod_pipelines.bench.chart import CHART_NAME
from prod_pipelines.bench.checksum import ResultsDiffer
from prod_pipelines.bench.contract_rate import measure_contract_rate
from prod_pipelines.bench.goals import LARGE_SCALE, evaluate
from prod_pipelines.bench.measure import CommandFailed
from prod_pipelines.bench.overhead import measure_overhead
from prod_pipelines.bench.scenarios import Bench
from prod_pipelines.bench.spark import measure_spark
from prod_pipelines.dbt.project import ensure_manifest
from prod_pipelines.settings import REPO_ROOT, Settings


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.samples < 2:
        parser.error("--repeat must be at least 1 and --samples at least 2 (a late sample besides the day itself)")
    scales = sorted({float(s) for s in args.scales.split(",")} | ({3.0} if args.sf3 else set()))
    work = (args.work_dir or Settings.from_env().data_dir / "bench").resolve()
    command = ("python -m prod_pipelines.bench " + shlex.join(sys.argv[1:] if argv is None else argv)).strip()
    about = machine.describe()
    print(f"bench: SF {' and '.join(f'{s:g}' for s in scales)}; {args.repeat} run(s) per figure; work dir {work}")
    print("  " + ", ".join(f"{k} {v}" for k, v in about.items()))
    print(f"  load average now {machine.load_average():.1f} on {about['cores']} cores"
          + (" (busy: timings will be stretched)" if machine.load_average() > 1.5 else ""), flush=True)
    monitor, started = machine.LoadMonitor(), time.perf_counter()
    try:
        ensure_manifest()  # every timed run starts with the dbt project parsed
        results = []
        for scale in scales:
            print(f"SF {scale:g}", flush=True)
            bench = Bench(work, scale, args.repeat, args.samples, keep=args.keep)
            results.append(bench.run())
        large = None
        if args.sf10:
            print("SF 10: the 90-day backfill and its floor, one run each", flush=True)
            large = Bench(work, LARGE_SCALE, 1, args.samples, keep=args.keep).run(backfill_only=True)
        smallest = Bench(work, scales[0], 1, 1)
        spark = None
        if not args.no_spark:
            print(f"SF {scales[0]:g}: the 90-day backfill on Apache Spark", flush=True)
            spark = measure_spark(smallest.root, smallest.landing, smallest.scale, smallest.start, smallest.end,
                                  1, results[0].figures["dagster_90"].input_rows)
        print("orchestration overhead", flush=True)
        overhead_dir = runs.fresh_data_dir(work / "overhead", smallest.landing)
        overhead = measure_overhead(overhead_dir, smallest.start, args.repeat, work / "overhead-logs")
        rate_scale = 1.0 if 1.0 in scales else scales[-1]
        rate_bench = Bench(work, rate_scale, 1, 1)
        print(f"contract validation throughput (SF {rate_scale:g} inventory)", flush=True)
        rate = measure_contract_rate(rate_bench.landing, "inventory", rate_bench.end, rate_scale, args.repeat,
                                     work / "contract-rate")
    except ResultsDiffer as error:
        print(f"\nBENCH FAILED: the ways of computing the central result disagree.\n{error}", file=sys.stderr)
        return 1
    except CommandFailed as error:
        print(f"\nBENCH FAILED: a measured command failed.\n{error}", file=sys.stderr)
        return 1
    load = monitor.stop()
    outcomes = evaluate(results, overhead, large)
    chart.draw(results, large, args.doc.parent / "img" / CHART_NAME)
    generated = document.render(command, args.repeat, about, load, int(about["cores"]), results, overhead, rate,
                                outcomes, large, spark)
    document.write(args.doc, generated)
    print(f"\nwrote {args.doc} after {(time.perf_counter() - started) / 60:.1f} min")
    for outcome in outcomes:
        status = {True: "met", False: "MISSED", None: "not measured"}[outcome.met]
        print(f"  {status:<12} {outcome.target}: {outcome.measured}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m prod_pipelines.bench", description=__doc__)
    parser.add_argument("--scales", default="0.1,1", help="comma-separated scale factors (default 0.1,1)")
    parser.add_argument("--sf3", action="store_true", help="also measure SF 3 (3,000 stores, ~300k lines a day)")
    parser.add_argument("--sf10", action="store_true",
                        help="also run a 90-day backfill at SF 10 (10,000 stores, ~1M lines a day), one run")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; the median is reported (default 3)")
    parser.add_argument("--samples", type=int, default=3,
                        help="single-day runs at each end of the range for the per-partition estimate (default 3)")
    parser.add_argument("--work-dir", type=Path, help="where landing zones and runs go (default <data dir>/bench)")
    parser.add_argument("--doc", type=Path, default=REPO_ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--keep", action="store_true", help="keep each run's data dir for inspection")
    parser.add_argument("--no-spark", action="store_true",
                        help="skip the 90-day backfill on Apache Spark (measured once, at the smallest scale)")
    return parser


if __name__ == "__main__":
    sys.exit(main())
