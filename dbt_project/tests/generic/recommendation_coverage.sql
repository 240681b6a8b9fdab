{#-
  Coverage: the share of active stores that got at least one recommendation, per as-of day of the
  run window. Fails below an absolute floor, or below a ratio of the recent median (a sudden drop
  such as an inventory feed covering only part of the stores) once the recent median covers at
  least `min_stores` stores: over a handful of stores a ratio is noise. Days with less than
  `min_history_days` of loaded sales (the first days of a backfill) are not judged: without sales
  history there is nothing to recommend. Returns the numbers to act on.

  The recent medians come from a self-join on the `recent_days` days before: percentile_cont, the
  standard's median, is not a window function outside DuckDB.
-#}
{% test recommendation_coverage(model, stores_model, orders_model, min_share=0.2, min_ratio_to_recent=0.7,
                                min_stores=30, recent_days=7, min_history_days=7) %}
with

sales_history as (
    select min(order_date) as first_order_date from {{ orders_model }}
),

active as (
    select as_of_date, count(*) as active_stores
    from {{ stores_model }}
    where is_active
        and as_of_date >= {{ window_start() }} - {{ recent_days }} and as_of_date < {{ window_end() }}
    group by as_of_date
),

covered as (
    select as_of_date, count(distinct store_id) as covered_stores
    from {{ model }}
    where as_of_date >= {{ window_start() }} - {{ recent_days }} and as_of_date < {{ window_end() }}
    group by as_of_date
),

daily as (
    select
        active.as_of_date,
        active.active_stores,
        coalesce(covered.covered_stores, 0) as covered_stores,
        cast(coalesce(covered.covered_stores, 0) as {{ type_double() }}) / active.active_stores as coverage,
        row_number() over (order by active.as_of_date) as day_number
    from active
    left join covered using (as_of_date)
),

judged as (
    select
        today.as_of_date, today.active_stores, today.covered_stores, today.coverage,
        percentile_cont(0.5) within group (order by recent.coverage) as recent_median,
        percentile_cont(0.5) within group (order by recent.covered_stores) as recent_median_stores,
        count(recent.day_number) as recent_days_seen
    from daily as today
    left join daily as recent
        on recent.day_number between today.day_number - {{ recent_days }} and today.day_number - 1
    group by today.as_of_date, today.active_stores, today.covered_stores, today.coverage
)

select
    as_of_date, cast(coverage as decimal(10, 4)) as observed_value,
    cast(case when recent_days_seen >= 3 and recent_median_stores >= {{ min_stores }}
              then greatest({{ min_share }}, {{ min_ratio_to_recent }} * recent_median)
              else {{ min_share }} end as decimal(10, 4)) as lower_bound,
    active_stores, covered_stores, cast(recent_median as decimal(10, 4)) as recent_median
from judged
where {{ in_window('as_of_date') }}
    and as_of_date >= (select first_order_date from sales_history) + {{ min_history_days - 1 }}
    and (coverage < {{ min_share }}
         or (recent_days_seen >= 3 and recent_median_stores >= {{ min_stores }}
             and coverage < {{ min_ratio_to_recent }} * recent_median))
{% endtest %}
