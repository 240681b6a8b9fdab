{#-
  One row per as-of day of the run's window [min_date, max_date), as a subquery to alias.
  Dispatched because `generate_series` over dates is DuckDB's (and PostgreSQL's) own; elsewhere
  dbt's `date_spine` builds the same days from a cross-database series.
-#}
{% macro as_of_dates() -%}
    {{ return(adapter.dispatch('as_of_dates', 'prod_pipelines')()) }}
{%- endmacro %}

{% macro duckdb__as_of_dates() -%}
    (select cast(generate_series as date) as as_of_date
     from generate_series({{ window_start() }}, {{ window_end() }} - interval 1 day, interval 1 day))
{%- endmacro %}

{% macro default__as_of_dates() -%}
    (select cast(date_day as date) as as_of_date
     from ({{ dbt.date_spine('day', window_start(), window_end()) }}) as spine)
{%- endmacro %}
