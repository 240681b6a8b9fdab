{#-
  Type names that differ between engines, for casts and contracts: a double is `double precision` in
  standard SQL (DuckDB, PostgreSQL) but `double` in Spark, and a string `varchar` (Spark: `string`;
  its varchar needs a length).
-#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'prod_pipelines')()) }}
{%- endmacro %}

{% macro default__type_double() -%} double precision {%- endmacro %}
{% macro spark__type_double() -%} double {%- endmacro %}

{% macro type_varchar() -%}
    {{ return(adapter.dispatch('type_varchar', 'prod_pipelines')()) }}
{%- endmacro %}

{% macro default__type_varchar() -%} varchar {%- endmacro %}
{% macro spark__type_varchar() -%} string {%- endmacro %}
