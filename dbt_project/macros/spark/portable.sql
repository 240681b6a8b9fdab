{#- Spark SQL's forms of the dispatched macros of macros/portable/ (see each for what it means). -#}

{% macro spark__anti_join(left, right, columns) -%}
    select {{ left }}.* from {{ left }} left anti join {{ right }} using ({{ columns | join(', ') }})
{%- endmacro %}

{% macro spark__as_of_dates() -%}
    (select explode(sequence({{ window_start() }}, {{ window_end() }} - 1, interval 1 day)) as as_of_date)
{%- endmacro %}

{% macro spark__fail_if_rows(relation, condition, label, problem) -%}
    select case when count(*) > 0
        then raise_error(concat('{{ label }}: ', cast(count(*) as string), ' row(s) {{ problem }}'))
    end from {{ relation }} where {{ condition }}
{%- endmacro %}

{% macro spark__month_list(text) -%}
    transform(split({{ text }}, ','), m -> cast(trim(m) as int))
{%- endmacro %}

{% macro spark__month_in_list(day, months) -%}
    array_contains({{ months }}, month({{ day }}))
{%- endmacro %}
