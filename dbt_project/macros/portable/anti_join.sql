{#-
  The rows of `left` that have no row in `right` with equal `columns`: a whole select statement.
  Dispatched because DuckDB's `anti join ... using` says it directly; elsewhere `not exists`.
-#}
{% macro anti_join(left, right, columns) -%}
    {{ return(adapter.dispatch('anti_join', 'prod_pipelines')(left, right, columns)) }}
{%- endmacro %}

{% macro duckdb__anti_join(left, right, columns) -%}
    select {{ left }}.* from {{ left }} anti join {{ right }} using ({{ columns | join(', ') }})
{%- endmacro %}

{% macro default__anti_join(left, right, columns) -%}
    select {{ left }}.* from {{ left }}
    where not exists (
        select 1 from {{ right }}
        where {% for column in columns %}{{ right }}.{{ column }} = {{ left }}.{{ column }}{{ ' and ' if not loop.last }}{% endfor %}
    )
{%- endmacro %}
