"""Top Items You Don't Carry: landing zone -> DuckDB -> dbt -> one export per consumer -> delivery."""
