{#-
  A statement that fails, saying "<label>: <n> row(s) <problem>", when `relation` has rows where
  `condition` holds. Dispatched because raising an error from a query has no standard form: DuckDB
  has `error()`; elsewhere the message is cast to an integer, which fails with the message in it.
-#}
{% macro fail_if_rows(relation, condition, label, problem) -%}
    {{ return(adapter.dispatch('fail_if_rows', 'prod_pipelines')(relation, condition, label, problem)) }}
{%- endmacro %}

{% macro duckdb__fail_if_rows(relation, condition, label, problem) -%}
    select case when count(*) > 0
        then error('{{ label }}: ' || count(*) || ' row(s) {{ problem }}')
    end from {{ relation }} where {{ condition }}
{%- endmacro %}

{% macro default__fail_if_rows(relation, condition, label, problem) -%}
    select cast(case when count(*) > 0
        then '{{ label }}: ' || cast(count(*) as {{ dbt.type_string() }}) || ' row(s) {{ problem }}'
    end as integer) from {{ relation }} where {{ condition }}
{%- endmacro %}
