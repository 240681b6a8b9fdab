{#-
  Rule 2 of the spec: for each as-of day D of the window, the snapshot date in force is D's own
  snapshot or, when the feed skipped D, the latest one before it. One row per as-of day that has one.
-#}
{% macro snapshot_in_force(snapshots) -%}
    select as_of_dates.as_of_date, max(published.snapshot_date) as snapshot_date
    from {{ as_of_dates() }} as as_of_dates
    inner join (select distinct snapshot_date from {{ snapshots }}) as published
        on published.snapshot_date <= as_of_dates.as_of_date
    group by as_of_dates.as_of_date
{%- endmacro %}
