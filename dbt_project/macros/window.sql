{#- The run's half-open window of as-of days, [min_date, max_date), as SQL. -#}
{% macro window_start() -%} cast('{{ var("min_date") }}' as date) {%- endmacro %}
{% macro window_end() -%} cast('{{ var("max_date") }}' as date) {%- endmacro %}

{% macro in_window(column) -%}
    {{ column }} >= {{ window_start() }} and {{ column }} < {{ window_end() }}
{%- endmacro %}

{#- One row per as-of day of the window. -#}
{% macro as_of_dates() -%}
    (select cast(generate_series as date) as as_of_date
     from generate_series({{ window_start() }}, {{ window_end() }} - interval 1 day, interval 1 day))
{%- endmacro %}
