{#- The run's half-open window of as-of days, [min_date, max_date), as SQL. -#}
{% macro window_start() -%} cast('{{ var("min_date") }}' as date) {%- endmacro %}
{% macro window_end() -%} cast('{{ var("max_date") }}' as date) {%- endmacro %}

{% macro in_window(column) -%}
    {{ column }} >= {{ window_start() }} and {{ column }} < {{ window_end() }}
{%- endmacro %}
