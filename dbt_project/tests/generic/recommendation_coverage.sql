{#-
  Coverage: the share of active stores that got at least one recommendation, per as-of day of the
  run window. Fails below an absolute floor, or below a ratio of the recent median (a sudden drop
  such as an inventory feed covering only part of the stores) once the recent median covers at
  least `min_stores` stores: over a handful of stores a ratio is noise. Days with less than
  `min_history_days` of loaded sales (the first days of a backfill) are not judged: without sales
  history there is nothing to recommend. Returns the numbers to act on.
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
        coalesce(covered.covered_stores, 0) / active.active_stores as coverage
    from active
    left join covered using (as_of_date)
),

judged as (
    select
        *,
        median(coverage) over recent as recent_median,
        median(covered_stores) over recent as recent_median_stores,
        count(*) over recent as recent_days_seen
    from daily
    window recent as (order by as_of_date rows between {{ recent_days }} preceding and 1 preceding)
)

select
    as_of_date, active_stores, covered_stores, round(coverage, 4) as coverage,
    round(recent_median, 4) as recent_median, {{ min_share }} as min_share, {{ min_ratio_to_recent }} as min_ratio_to_recent
from judged
where {{ in_window('as_of_date') }}
    and as_of_date >= (select first_order_date from sales_history) + {{ min_history_days - 1 }}
    and (coverage < {{ min_share }}
         or (recent_days_seen >= 3 and recent_median_stores >= {{ min_stores }}
             and coverage < {{ min_ratio_to_recent }} * recent_median))
{% endtest %}
