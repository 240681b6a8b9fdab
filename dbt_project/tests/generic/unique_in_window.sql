{#- The model's grain: `columns` identify one row among the rows of the run window. -#}
{% test unique_in_window(model, columns, date_column) %}
select {{ columns | join(', ') }}, count(*) as observed_value, 1 as upper_bound
from {{ model }}
where {{ in_window(date_column) }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
