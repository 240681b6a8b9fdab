{#-
  Per row of `candidates` (its `keys` and an `as_of_date` D), each of `measures` summed over the rows
  of `daily` (its `keys`, a `date_column` and the measures) dated in the `days` days [D-days+1, D].
  Columns: as_of_date, the keys, the measures. A candidate with nothing in the window sums to 0 or
  is left out: callers filter. A whole select statement.

  Dispatched because DuckDB reads each sum as running total(<= D) - running total(<= D-days) with two
  ASOF joins, one sort and no range join; elsewhere (no ASOF join) the candidates join the daily
  rows as zeros and one window with a date RANGE frame sums the days around them.
-#}
{% macro trailing_sums(candidates, daily, keys, date_column, measures, days) -%}
    {{ return(adapter.dispatch('trailing_sums', 'prod_pipelines')(candidates, daily, keys, date_column, measures, days)) }}
{%- endmacro %}

{% macro duckdb__trailing_sums(candidates, daily, keys, date_column, measures, days) -%}
    with running_totals as (
        select
            {{ keys | join(', ') }}, {{ date_column }},
            {%- for measure in measures %}
            sum({{ measure }}) over by_day as {{ measure }}_to_date{{ ',' if not loop.last }}
            {%- endfor %}
        from {{ daily }}
        window by_day as (partition by {{ keys | join(', ') }} order by {{ date_column }} rows unbounded preceding)
    )

    select
        {{ candidates }}.as_of_date,
        {%- for key in keys %}
        {{ candidates }}.{{ key }},
        {%- endfor %}
        {%- for measure in measures %}
        through_d.{{ measure }}_to_date - coalesce(before_window.{{ measure }}_to_date, 0) as {{ measure }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ candidates }}
    asof inner join running_totals as through_d
        on {% for key in keys %}through_d.{{ key }} = {{ candidates }}.{{ key }}
        and {% endfor %}through_d.{{ date_column }} <= {{ candidates }}.as_of_date
    asof left join running_totals as before_window
        on {% for key in keys %}before_window.{{ key }} = {{ candidates }}.{{ key }}
        and {% endfor %}before_window.{{ date_column }} <= {{ candidates }}.as_of_date - {{ days }}
{%- endmacro %}

{% macro default__trailing_sums(candidates, daily, keys, date_column, measures, days) -%}
    with days_and_candidates as (
        select {{ keys | join(', ') }}, {{ date_column }} as day, false as is_candidate, {{ measures | join(', ') }}
        from {{ daily }}
        union all
        select {{ keys | join(', ') }}, as_of_date, true{% for measure in measures %}, 0{% endfor %}
        from {{ candidates }}
    ),

    summed as (
        select
            day as as_of_date, {{ keys | join(', ') }}, is_candidate,
            {%- for measure in measures %}
            sum({{ measure }}) over last_days as {{ measure }}{{ ',' if not loop.last }}
            {%- endfor %}
        from days_and_candidates
        window last_days as (
            partition by {{ keys | join(', ') }} order by day
            range between interval '{{ days - 1 }} day' preceding and current row
        )
    )

    select as_of_date, {{ keys | join(', ') }}, {{ measures | join(', ') }}
    from summed
    where is_candidate
{%- endmacro %}
