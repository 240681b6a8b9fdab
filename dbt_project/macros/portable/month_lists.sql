{#-
  Seasons as lists of month numbers: "11, 12" -> [11, 12], and whether a day's month is in one.
  Dispatched because lists are not portable: DuckDB's list lambdas and `list_contains` here,
  PostgreSQL's integer arrays and `= any` there (its int cast ignores the spaces around a number).
-#}
{% macro month_list(text) -%}
    {{ return(adapter.dispatch('month_list', 'prod_pipelines')(text)) }}
{%- endmacro %}

{% macro month_in_list(day, months) -%}
    {{ return(adapter.dispatch('month_in_list', 'prod_pipelines')(day, months)) }}
{%- endmacro %}

{% macro duckdb__month_list(text) -%}
    list_transform(string_split({{ text }}, ','), lambda m: cast(trim(m) as integer))
{%- endmacro %}

{% macro duckdb__month_in_list(day, months) -%}
    list_contains({{ months }}, month({{ day }}))
{%- endmacro %}

{% macro postgres__month_list(text) -%}
    cast(string_to_array({{ text }}, ',') as integer[])
{%- endmacro %}

{% macro postgres__month_in_list(day, months) -%}
    cast(extract(month from {{ day }}) as integer) = any({{ months }})
{%- endmacro %}
