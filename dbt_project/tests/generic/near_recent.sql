{#-
  A day's figure against the days before it: fails on as-of day D when `column_name` jumps far
  beyond normal. Up: above `floor` and above `max_ratio` x the median of the `recent_days` days
  before D (with fewer than `min_recent_days` of them, above `floor` alone when
  `judge_without_history`). Down: below `min_ratio` x that median. A day whose `sample_column` is
  below `min_sample` (a handful of stores or lines) is neither judged nor used as history: over a
  small sample a share is noise. Returns the numbers to act on, one row per failing day.
-#}
{% test near_recent(model, column_name, sample_column, min_sample, floor=0, max_ratio=none, min_ratio=none,
                    recent_days=7, min_recent_days=3, judge_without_history=true) %}
with

daily as (
    select as_of_date, {{ column_name }} as observed
    from {{ model }}
    where as_of_date >= {{ window_start() }} - {{ recent_days }} and as_of_date < {{ window_end() }}
        and {{ column_name }} is not null
        and {{ sample_column }} >= {{ min_sample }}
),

judged as (
    select
        today.as_of_date,
        today.observed,
        percentile_cont(0.5) within group (order by recent.observed) as recent_median,
        count(recent.observed) as recent_days_seen
    from daily as today
    left join daily as recent
        on recent.as_of_date >= today.as_of_date - {{ recent_days }} and recent.as_of_date < today.as_of_date
    group by today.as_of_date, today.observed
),

bounded as (
    select
        as_of_date,
        observed,
        recent_median,
        recent_days_seen,
        {{ floor }} as floor,
        {%- if max_ratio is not none %}
        case when recent_days_seen >= {{ min_recent_days }}
            then greatest({{ floor }}, {{ max_ratio }} * recent_median)
            {%- if judge_without_history %} else {{ floor }}{% endif %}
        end as upper_bound,
        {%- else %}
        {{ floor }} as upper_bound,
        {%- endif %}
        {%- if min_ratio is not none %}
        case when recent_days_seen >= {{ min_recent_days }} then {{ min_ratio }} * recent_median end as lower_bound
        {%- else %}
        cast(null as {{ type_double() }}) as lower_bound
        {%- endif %}
    from judged
    where {{ in_window('as_of_date') }}
)

select as_of_date, observed as observed_value, lower_bound, upper_bound, recent_median, recent_days_seen, floor
from bounded
where observed > upper_bound or observed < lower_bound
{% endtest %}
