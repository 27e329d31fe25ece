{#
  Portable date/time helpers. dbt.datediff counts calendar boundaries crossed, which is right for
  "days between" but not for elapsed durations such as first-response minutes; elapsed_* use the
  exact difference in seconds on both adapters.
#}

{% macro elapsed_seconds(start_ts, end_ts) -%}
    {{ return(adapter.dispatch('elapsed_seconds', 'zhishu')(start_ts, end_ts)) }}
{%- endmacro %}

{% macro default__elapsed_seconds(start_ts, end_ts) -%}
    cast(extract(epoch from (cast({{ end_ts }} as timestamp) - cast({{ start_ts }} as timestamp))) as double precision)
{%- endmacro %}

{% macro duckdb__elapsed_seconds(start_ts, end_ts) -%}
    cast(epoch(cast({{ end_ts }} as timestamp)) - epoch(cast({{ start_ts }} as timestamp)) as double precision)
{%- endmacro %}

{% macro elapsed_minutes(start_ts, end_ts) -%}
    ({{ elapsed_seconds(start_ts, end_ts) }} / 60.0)
{%- endmacro %}

{% macro elapsed_hours(start_ts, end_ts) -%}
    ({{ elapsed_seconds(start_ts, end_ts) }} / 3600.0)
{%- endmacro %}

{# A date (not a timestamp) on both adapters: PostgreSQL's date_trunc / date + interval return timestamps. #}
{% macro to_date(expr) -%}
    cast({{ expr }} as date)
{%- endmacro %}

{% macro add_days(days, date_expr) -%}
    cast({{ dbt.dateadd('day', days, date_expr) }} as date)
{%- endmacro %}

{#
  day_spine(start, end): one row per day from start to end inclusive (column date_day), built from
  a digits cross join so it needs no generate_series dialect (up to 10,000 days).
#}
{% macro day_spine(start_date, end_date) -%}
    with digits as (
        {% for d in range(10) %}select {{ d }} as digit{% if not loop.last %} union all {% endif %}{% endfor %}
    ),

    day_numbers as (
        select ones.digit + 10 * tens.digit + 100 * hundreds.digit + 1000 * thousands.digit as day_number
        from digits as ones
        cross join digits as tens
        cross join digits as hundreds
        cross join digits as thousands
    )

    select {{ add_days('day_number', "cast('" ~ start_date ~ "' as date)") }} as date_day
    from day_numbers
    where day_number <= {{ dbt.datediff("cast('" ~ start_date ~ "' as date)", "cast('" ~ end_date ~ "' as date)", 'day') }}
{%- endmacro %}

{# ISO day of week, 1 = Monday ... 7 = Sunday. #}
{% macro iso_day_of_week(date_expr) -%}
    cast(extract(isodow from {{ date_expr }}) as integer)
{%- endmacro %}

{% macro date_part_int(part, date_expr) -%}
    cast(extract({{ part }} from {{ date_expr }}) as integer)
{%- endmacro %}
