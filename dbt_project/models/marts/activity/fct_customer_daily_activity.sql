{{
    config(
        materialized='incremental',
        unique_key=['customer_id', 'activity_date'],
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns'
    )
}}
-- Customer x day activity (only days with any activity): events, sessions, orders, revenue,
-- support tickets. Input of churn and engagement models. Incremental: see macros/incremental_window.sql.
with {{ rebuild_window_ctes(event_period='cast(occurred_at as date)', period_column='activity_date', period_type='date') }},

events as (

    select
        customer_id,
        occurred_on as activity_date,
        count(*) as events,
        count(distinct session_id) as sessions,
        sum(case when event_name = 'page_view' then 1 else 0 end) as page_views,
        sum(case when event_name = 'feature_use' then 1 else 0 end) as feature_uses,
        sum(case when event_name = 'add_to_cart' then 1 else 0 end) as add_to_carts,
        sum(case when event_name = 'checkout' then 1 else 0 end) as checkouts,
        max(_loaded_at) as source_loaded_at
    from {{ ref('int_clickstream_events') }}
    where customer_id is not null
        and {{ in_rebuild_window('occurred_on') }}
    group by customer_id, occurred_on

),

orders as (

    select
        customer_id,
        {{ to_date('ordered_at') }} as activity_date,
        count(*) as orders,
        sum(total_amount) as revenue_amount
    from {{ ref('stg_oltp__orders') }}
    where order_status <> 'cancelled'
        and {{ in_rebuild_window(to_date('ordered_at')) }}
    group by customer_id, {{ to_date('ordered_at') }}

),

tickets as (

    select
        customer_id,
        {{ to_date('opened_at') }} as activity_date,
        count(*) as tickets
    from {{ ref('stg_oltp__support_tickets') }}
    where {{ in_rebuild_window(to_date('opened_at')) }}
    group by customer_id, {{ to_date('opened_at') }}

),

customer_days as (

    select customer_id, activity_date from events
    union
    select customer_id, activity_date from orders
    union
    select customer_id, activity_date from tickets

)

select
    customer_days.customer_id,
    customer_days.activity_date,
    cast(coalesce(events.events, 0) as integer) as events,
    cast(coalesce(events.sessions, 0) as integer) as sessions,
    cast(coalesce(events.page_views, 0) as integer) as page_views,
    cast(coalesce(events.feature_uses, 0) as integer) as feature_uses,
    cast(coalesce(events.add_to_carts, 0) as integer) as add_to_carts,
    cast(coalesce(events.checkouts, 0) as integer) as checkouts,
    cast(coalesce(orders.orders, 0) as integer) as orders,
    cast(coalesce(orders.revenue_amount, 0) as numeric(18,2)) as revenue_amount,
    cast(coalesce(tickets.tickets, 0) as integer) as tickets,
    coalesce(events.events, 0) > 0 as is_active,
    cast(events.source_loaded_at as {{ dbt.type_timestamp() }}) as source_loaded_at
from customer_days
left join events
    on customer_days.customer_id = events.customer_id
    and customer_days.activity_date = events.activity_date
left join orders
    on customer_days.customer_id = orders.customer_id
    and customer_days.activity_date = orders.activity_date
left join tickets
    on customer_days.customer_id = tickets.customer_id
    and customer_days.activity_date = tickets.activity_date
