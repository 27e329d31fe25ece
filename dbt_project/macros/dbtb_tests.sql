{#- Generic data tests used by the marketing, billing and partner marts (owner: DBT-B). -#}

{#- Fails on every row where `expression` is not true (NULL counts as a failure). -#}
{% test dbtb_expression_is_true(model, expression, where_clause=none, column_name=none) %}
select *
from {{ model }}
where not coalesce(({{ expression }}), false)
{%- if where_clause %} and ({{ where_clause }}){% endif %}
{% endtest %}

{#- Fails on every group whose SUM(sum_column) differs from the group's single expected_column value
    (exact comparison: for money columns this is "to the cent, no tolerance"). -#}
{% test dbtb_group_sum_equals(model, group_by, sum_column, expected_column) %}
select {{ group_by | join(', ') }}, sum({{ sum_column }}) as actual_sum,
       min({{ expected_column }}) as expected_min, max({{ expected_column }}) as expected_max
from {{ model }}
group by {{ group_by | join(', ') }}
having sum({{ sum_column }}) <> max({{ expected_column }})
    or min({{ expected_column }}) <> max({{ expected_column }})
{% endtest %}

{#- Roll-forward: each row's opening equals the closing of the same entity's previous period, and
    the first period (or the first after a gap, which must follow a zero closing) opens at zero. Periods are months (period_column is
    a month-start DATE). -#}
{% test dbtb_rolls_forward(model, opening_column, closing_column, period_column, partition_by=none) %}
with ordered as (
    select
        {{ opening_column }} as opening_value,
        {{ period_column }} as period_value,
        lag({{ closing_column }}) over (
            {% if partition_by %}partition by {{ partition_by }}{% endif %} order by {{ period_column }}
        ) as previous_closing,
        lag({{ period_column }}) over (
            {% if partition_by %}partition by {{ partition_by }}{% endif %} order by {{ period_column }}
        ) as previous_period
        {% if partition_by %}, {{ partition_by }} as entity_key{% endif %}
    from {{ model }}
)
select *
from ordered
where case
    when previous_period is not null
         and previous_period = cast({{ dbt.dateadd('month', -1, 'period_value') }} as date)
        then opening_value <> previous_closing
    else opening_value <> 0 or coalesce(previous_closing, 0) <> 0
end
{% endtest %}
