{{
    config(
        materialized='incremental',
        unique_key='hour_start',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns'
    )
}}
-- Real-time operations KPIs per hour (the dashboard's fast path), dense over every hour from the
-- first to the latest hour with activity. Incremental: an hour is rebuilt while it is within
-- the late-event lookback or when a late clickstream file brings events for it
-- (macros/incremental_window.sql); delete+insert on hour_start replaces it.
with {{ rebuild_window_ctes(
        event_period=dbt.date_trunc('hour', 'occurred_at'),
        period_column='hour_start',
        period_type=dbt.type_timestamp()) }},

events as (

    select
        {{ dbt.date_trunc('hour', 'occurred_at') }} as hour_start,
        count(*) as events,
        count(distinct customer_id) as active_customers,
        count(distinct anonymous_id) as visitors,
        sum(case when event_name = 'session_start' then 1 else 0 end) as sessions_started,
        sum(case when event_name = 'page_view' then 1 else 0 end) as page_views,
        sum(case when event_name = 'sign_up' then 1 else 0 end) as sign_up_events,
        sum(case when event_name = 'add_to_cart' then 1 else 0 end) as add_to_carts,
        sum(case when event_name = 'checkout' then 1 else 0 end) as checkouts,
        sum(case when event_name = 'checkout' then amount else 0 end) as checkout_amount,
        max(occurred_at) as latest_event_at,
        max(_loaded_at) as source_loaded_at
    from {{ ref('int_clickstream_events') }}
    where {{ in_rebuild_window(dbt.date_trunc('hour', 'occurred_at')) }}
    group by {{ dbt.date_trunc('hour', 'occurred_at') }}

),

orders as (

    select
        {{ dbt.date_trunc('hour', 'ordered_at') }} as hour_start,
        count(*) as orders_placed,
        sum(case when order_status <> 'cancelled' then total_amount else 0 end) as gmv_amount
    from {{ ref('stg_oltp__orders') }}
    where {{ in_rebuild_window(dbt.date_trunc('hour', 'ordered_at')) }}
    group by {{ dbt.date_trunc('hour', 'ordered_at') }}

),

tickets as (

    select
        {{ dbt.date_trunc('hour', 'opened_at') }} as hour_start,
        count(*) as tickets_created
    from {{ ref('stg_oltp__support_tickets') }}
    where {{ in_rebuild_window(dbt.date_trunc('hour', 'opened_at')) }}
    group by {{ dbt.date_trunc('hour', 'opened_at') }}

),

payments as (

    select
        {{ dbt.date_trunc('hour', 'attempted_at') }} as hour_start,
        sum(case when payment_status = 'succeeded' then 1 else 0 end) as payments_succeeded,
        sum(case when payment_status = 'failed' then 1 else 0 end) as payments_failed
    from {{ ref('stg_oltp__payments') }}
    where {{ in_rebuild_window(dbt.date_trunc('hour', 'attempted_at')) }}
    group by {{ dbt.date_trunc('hour', 'attempted_at') }}

),

active_hours as (

    select hour_start from events
    union
    select hour_start from orders
    union
    select hour_start from tickets
    union
    select hour_start from payments

),

hours_of_day as (

    {% for h in range(24) %}select {{ h }} as hour_of_day{% if not loop.last %} union all {% endif %}{% endfor %}

),

hours as (

    -- every hour between the first and last active hour of this run, so quiet hours show as 0
    select hour_grid.hour_start
    from (
        select cast({{ dbt.dateadd('hour', 'hours_of_day.hour_of_day', 'cast(dates.date_day as ' ~ dbt.type_timestamp() ~ ')') }} as {{ dbt.type_timestamp() }}) as hour_start
        from {{ ref('dim_date') }} as dates
        cross join hours_of_day
    ) as hour_grid
    cross join (select min(hour_start) as first_hour, max(hour_start) as last_hour from active_hours) as bounds
    where hour_grid.hour_start between bounds.first_hour and bounds.last_hour
        and {{ in_rebuild_window('hour_grid.hour_start') }}

)

select
    hours.hour_start,
    {{ to_date('hours.hour_start') }} as date_day,
    cast(coalesce(events.events, 0) as integer) as events,
    cast(coalesce(events.active_customers, 0) as integer) as active_customers,
    cast(coalesce(events.visitors, 0) as integer) as visitors,
    cast(coalesce(events.sessions_started, 0) as integer) as sessions_started,
    cast(coalesce(events.page_views, 0) as integer) as page_views,
    cast(coalesce(events.sign_up_events, 0) as integer) as sign_up_events,
    cast(coalesce(events.add_to_carts, 0) as integer) as add_to_carts,
    cast(coalesce(events.checkouts, 0) as integer) as checkouts,
    cast(coalesce(events.checkout_amount, 0) as numeric(18,2)) as checkout_amount,
    cast(coalesce(orders.orders_placed, 0) as integer) as orders_placed,
    cast(coalesce(orders.gmv_amount, 0) as numeric(18,2)) as gmv_amount,
    cast(coalesce(tickets.tickets_created, 0) as integer) as tickets_created,
    cast(coalesce(payments.payments_succeeded, 0) as integer) as payments_succeeded,
    cast(coalesce(payments.payments_failed, 0) as integer) as payments_failed,
    cast(events.latest_event_at as {{ dbt.type_timestamp() }}) as latest_event_at,
    cast(events.source_loaded_at as {{ dbt.type_timestamp() }}) as source_loaded_at
from hours
left join events on hours.hour_start = events.hour_start
left join orders on hours.hour_start = orders.hour_start
left join tickets on hours.hour_start = tickets.hour_start
left join payments on hours.hour_start = payments.hour_start
