{#-
  Incremental strategy `replace_window`: delete the target's rows inside the run's window, then
  insert the model's rows, in one transaction. Re-running any range therefore leaves no duplicates
  and no leftovers from rows that disappeared upstream. Models name their date column with the
  `meta.window_column` config and must only produce rows inside the window (checked here).
-#}
{% macro get_incremental_replace_window_sql(arg_dict) %}
    {%- set target = arg_dict["target_relation"] -%}
    {%- set source = arg_dict["temp_relation"] -%}
    {%- set column = config.meta_require("window_column") -%}
    {%- set columns = get_quoted_csv(arg_dict["dest_columns"] | map(attribute="name")) -%}
    {{ fail_if_rows(source, "not (" ~ in_window(column) ~ ")", target,
                    "outside the window [" ~ var("min_date") ~ ", " ~ var("max_date") ~ ")") }};
    delete from {{ target }} where {{ in_window(column) }};
    insert into {{ target }} ({{ columns }}) select {{ columns }} from {{ source }};
{% endmacro %}
