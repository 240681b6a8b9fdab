{#-
  `replace_window` on Spark (dbt-spark), where a Parquet table takes no DELETE. dbt-spark's
  incremental materialization knows only its own strategies: these two overrides of its macros
  (validate.sql, strategies.sql in dbt/include/spark) let `replace_window` through to the SQL below
  and hand every other strategy to dbt-spark's own macro.

  As on DuckDB: fail when the model produced rows outside the window, then remove the window's rows
  and add the new ones, so that a re-run leaves no duplicates and no rows that disappeared upstream.
  - Partitioned by its window column (intermediate and marts, dbt_project.yml): the window's
    partitions are dropped, then the new rows appended (each day is a folder; nothing else is read).
  - Otherwise (the exports, whose column order is their contract and a partition column would go
    last): the rows outside the window and the new ones are written to a side table, which then
    overwrites the target (Spark refuses to overwrite a table it reads in the same statement).
  Spark runs one statement per call: the steps run here in order; `main` is the last one.
-#}
{% macro dbt_spark_validate_get_incremental_strategy(raw_strategy, file_format) %}
    {%- if raw_strategy == 'replace_window' -%}
        {%- if file_format not in ['parquet', 'orc', 'delta', 'iceberg', 'hive'] -%}
            {% do exceptions.raise_compiler_error("replace_window needs a table file format, not " ~ file_format) %}
        {%- endif -%}
        {% do return(raw_strategy) %}
    {%- endif -%}
    {% do return(dbt_spark.dbt_spark_validate_get_incremental_strategy(raw_strategy, file_format)) %}
{% endmacro %}


{% macro dbt_spark_get_incremental_sql(strategy, source, target, existing, unique_key, incremental_predicates) %}
    {%- if strategy == 'replace_window' -%}
        {{ spark_replace_window_sql(source, target) }}
    {%- else -%}
        {{ dbt_spark.dbt_spark_get_incremental_sql(strategy, source, target, existing, unique_key, incremental_predicates) }}
    {%- endif -%}
{% endmacro %}


{% macro spark_replace_window_sql(source, target) %}
    {%- set column = config.meta_require("window_column") -%}
    {%- set dest_columns = adapter.get_columns_in_relation(target) -%}
    {%- set columns = dest_columns | map(attribute='quoted') | join(', ') -%}
    {%- set partition_by = config.get('partition_by') -%}
    {%- set partition_by = [partition_by] if partition_by is string else (partition_by or []) -%}
    {% do run_query(fail_if_rows(source, "not (" ~ in_window(column) ~ ")", target,
                                 "outside the window [" ~ var("min_date") ~ ", " ~ var("max_date") ~ ")")) %}
    {%- if partition_by | map('lower') | list == [column | lower] -%}
        {%- set first = modules.datetime.date.fromisoformat(var("min_date")) -%}
        {%- set end = modules.datetime.date.fromisoformat(var("max_date")) -%}
        {%- set specs = [] -%}
        {%- for offset in range((end - first).days) -%}
            {%- do specs.append("partition (" ~ column ~ " = '" ~ (first + modules.datetime.timedelta(days=offset)).isoformat() ~ "')") -%}
        {%- endfor -%}
        {%- if specs -%}
            {% do run_query("alter table " ~ target ~ " drop if exists " ~ specs | join(", ")) %}
        {%- endif -%}
        insert into table {{ target }} select {{ columns }} from {{ source }}
    {%- elif partition_by -%}
        {% do exceptions.raise_compiler_error("replace_window on Spark: partition " ~ target ~ " by its window column "
                                              ~ column ~ " alone, or not at all (partition_by: " ~ partition_by ~ ")") %}
    {%- else -%}
        {%- set side = api.Relation.create(database=target.database, schema=target.schema,
                                           identifier=target.identifier ~ "__dbt_window") -%}
        {% do run_query("drop table if exists " ~ side) %}
        {% do run_query("create table " ~ side ~ " using parquet as select " ~ columns ~ " from " ~ target
                        ~ " where not coalesce(" ~ in_window(column) ~ ", false) union all select " ~ columns
                        ~ " from " ~ source) %}
        {% do run_query("insert overwrite table " ~ target ~ " select " ~ columns ~ " from " ~ side) %}
        drop table if exists {{ side }}
    {%- endif -%}
{% endmacro %}
