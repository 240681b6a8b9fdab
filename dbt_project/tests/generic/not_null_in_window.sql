{#-
  Every listed column holds a value on each day of the run window: one scan of the window for all
  of a model's required columns (it replaced one not_null test per column, each scanning the whole
  table). A failing row names its day and which columns were empty, so only that day is held back.
-#}
{% test not_null_in_window(model, columns, date_column) %}
select {{ date_column }},
       concat_ws(', ', {% for c in columns %}case when {{ c }} is null then '{{ c }}' end{{ ', ' if not loop.last }}{% endfor %}) as null_columns
from {{ model }}
where ({{ in_window(date_column) }} or {{ date_column }} is null)
  and ({% for c in columns %}{{ c }} is null{{ ' or ' if not loop.last }}{% endfor %})
{% endtest %}
