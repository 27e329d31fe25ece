{#-
  Helpers for the marketing, billing and partner marts and the semantic layer (owner: DBT-B).
  Prefixed dbtb_ so they never collide with the project's shared macros.
-#}

{#- Money is carried as numeric(18,2) in every mart: exact decimal, never float. -#}
{% macro dbtb_money(expr) -%}
    cast({{ expr }} as numeric(18, 2))
{%- endmacro %}

{#- Round an exact numeric to cents. ROUND on numeric rounds half away from zero on both DuckDB and
    PostgreSQL, which is half-up for the non-negative amounts it is used on. -#}
{% macro dbtb_round_money(expr) -%}
    cast(round({{ expr }}, 2) as numeric(18, 2))
{%- endmacro %}

{#- A rate as double precision; NULL when the denominator is zero or missing (no division by zero). -#}
{% macro dbtb_safe_ratio(numerator, denominator) -%}
    case
        when {{ denominator }} is null or {{ denominator }} = 0 then null
        else cast({{ numerator }} as double precision) / cast({{ denominator }} as double precision)
    end
{%- endmacro %}

{#- Money divided by a count, rounded to cents (e.g. CAC); NULL when the count is zero. -#}
{% macro dbtb_money_per(numerator, denominator) -%}
    case
        when {{ denominator }} is null or {{ denominator }} = 0 then null
        else cast(round(cast({{ numerator }} as numeric(18, 2)) / {{ denominator }}, 2) as numeric(18, 2))
    end
{%- endmacro %}

{#- First day of the month of a date/timestamp, as a DATE on both engines. -#}
{% macro dbtb_month_start(expr) -%}
    cast({{ dbt.date_trunc('month', expr) }} as date)
{%- endmacro %}

{#- Dense calendar between two DATE expressions that may reference columns of `bounds_relation`
    (a CTE with exactly one row). Renders a select of one column `period_start` (DATE), one row per
    day or month. Built from dbt.generate_series so it needs no compile-time query. -#}
{% macro dbtb_period_spine(datepart, bounds_relation, start_column, end_column, max_periods=10000) -%}
    select
        cast({{ dbt.dateadd(datepart, 'spine_numbers.generated_number - 1', bounds_relation ~ '.' ~ start_column) }} as date)
            as period_start
    from ({{ dbt.generate_series(max_periods) }}) as spine_numbers
    cross join {{ bounds_relation }}
    where spine_numbers.generated_number - 1
        <= {{ dbt.datediff(bounds_relation ~ '.' ~ start_column, bounds_relation ~ '.' ~ end_column, datepart) }}
{%- endmacro %}
