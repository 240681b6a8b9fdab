"""`make bench`: what a day, a 90-day backfill and the orchestration itself cost, against bare dbt and raw DuckDB.

Every figure is measured in a fresh process (wall clock, peak memory of the process tree), repeated,
and reported as median [min-max] in `docs/benchmarks.md`. Every way of computing the central result
(Dagster, bare dbt, the raw DuckDB floor in `floor.sql`) must give the same rows, or the bench fails.
"""
