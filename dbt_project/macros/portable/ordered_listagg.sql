{#-
  The values of `measure` in a group joined by `delimiter` (SQL text, quoted), in the order of
  `order_by` (a column or expression). Dispatched because Spark's listagg (dbt's spark__listagg)
  ignores the order: there the pairs (order_by, measure) are collected, sorted and joined.
-#}
{% macro ordered_listagg(measure, delimiter, order_by) -%}
    {{ return(adapter.dispatch('ordered_listagg', 'prod_pipelines')(measure, delimiter, order_by)) }}
{%- endmacro %}

{% macro default__ordered_listagg(measure, delimiter, order_by) -%}
    {{ dbt.listagg(measure, delimiter, "order by " ~ order_by) }}
{%- endmacro %}

{% macro spark__ordered_listagg(measure, delimiter, order_by) -%}
    array_join(transform(array_sort(collect_list(named_struct('k', {{ order_by }}, 'v', {{ measure }}))), x -> x.v), {{ delimiter }})
{%- endmacro %}
