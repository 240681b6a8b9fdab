{#-
  An export holds no logic of its own: per as-of day of the window, its rows must be exactly the
  mart's rows up to the export's `meta.max_store_rank`. Returns the days whose counts differ.
-#}
{% test rows_match_mart(model, mart) %}
{%- set limit = export_rank_limit(model) -%}
with

exported as (
    select as_of_date, count(*) as export_rows from {{ model }} where {{ in_window('as_of_date') }} group by 1
),

expected as (
    select as_of_date, count(*) as mart_rows from {{ mart }}
    where {{ in_window('as_of_date') }} and store_rank <= {{ limit }} group by 1
)

select
    as_of_date, coalesce(export_rows, 0) as observed_value,
    coalesce(mart_rows, 0) as lower_bound, coalesce(mart_rows, 0) as upper_bound, {{ limit }} as max_store_rank
from exported
full outer join expected using (as_of_date)
where coalesce(export_rows, 0) <> coalesce(mart_rows, 0)
{% endtest %}
