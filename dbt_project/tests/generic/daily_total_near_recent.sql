{#-
  Aggregate check: a day's total of `column` within [low, high] x the median of the same weekday
  over the previous four weeks (when at least two of them exist). Returns the numbers to act on
  (`observed_value` against `lower_bound` and `upper_bound`, the names every check's metadata reads).
-#}
{% test daily_total_near_recent(model, column_name, date_column, low=0.5, high=2.0) %}
with

daily as (
    select {{ date_column }} as day, sum({{ column_name }}) as total
    from {{ model }}
    where {{ date_column }} >= {{ window_start() }} - 28 and {{ date_column }} < {{ window_end() }}
    group by 1
),

judged as (
    select
        today.day, today.total,
        percentile_cont(0.5) within group (order by earlier.total) as recent_median,
        count(earlier.total) as weeks_seen
    from daily as today
    left join daily as earlier
        on earlier.day in (today.day - 7, today.day - 14, today.day - 21, today.day - 28)
    group by today.day, today.total
)

select
    day, total as observed_value, {{ low }} * recent_median as lower_bound, {{ high }} * recent_median as upper_bound,
    recent_median, weeks_seen
from judged
where {{ in_window('day') }} and weeks_seen >= 2
    and (total < {{ low }} * recent_median or total > {{ high }} * recent_median)
{% endtest %}
