-- Operations-centre daily KPIs, one row per day from the first to the last day with activity.
-- Definitions:
--  * DAU = distinct logged-in customers with any event; visitors = distinct anonymous_id.
--  * orders / GMV / refunds / net revenue are dated by the order day (see fct_orders);
--    net_revenue = order net revenue + subscription revenue (succeeded invoice payments that day).
--  * activations = customers whose first paid order happened that day.
--  * MRR / paying subscriptions = end-of-day position from subscription changes.
with days as (

    select dates.*
    from {{ ref('dim_date') }} as dates
    cross join (
        select min(first_day) as first_day, max(last_day) as last_day
        from (
            select min(occurred_on) as first_day, max(occurred_on) as last_day from {{ ref('int_clickstream_events') }}
            union all
            select {{ to_date('min(ordered_at)') }}, {{ to_date('max(ordered_at)') }} from {{ ref('stg_oltp__orders') }}
            union all
            select {{ to_date('min(signed_up_at)') }}, {{ to_date('max(signed_up_at)') }} from {{ ref('stg_oltp__customers') }}
        ) as source_days
    ) as bounds
    where dates.date_day between bounds.first_day and bounds.last_day

),

events as (

    select
        occurred_on as date_day,
        count(*) as events,
        count(distinct customer_id) as daily_active_customers,
        count(distinct anonymous_id) as visitors,
        count(distinct session_id) as sessions,
        sum(case when event_name = 'page_view' then 1 else 0 end) as page_views,
        sum(case when event_name = 'feature_use' then 1 else 0 end) as feature_uses,
        sum(case when event_name = 'add_to_cart' then 1 else 0 end) as add_to_carts,
        sum(case when event_name = 'checkout' then 1 else 0 end) as checkouts
    from {{ ref('int_clickstream_events') }}
    group by occurred_on

),

signups as (

    select signup_date as date_day, count(*) as new_signups
    from {{ ref('dim_customer') }}
    group by signup_date

),

activations as (

    select {{ to_date('activated_at') }} as date_day, count(*) as activations
    from {{ ref('dim_customer') }}
    where activated_at is not null
    group by {{ to_date('activated_at') }}

),

orders as (

    select
        {{ to_date('ordered_at') }} as date_day,
        count(*) as orders_placed,
        sum(case when order_status = 'cancelled' then 1 else 0 end) as orders_cancelled,
        sum(case when order_status <> 'cancelled' then total_amount else 0 end) as gmv_amount,
        sum(case when order_status <> 'cancelled' then refund_amount else 0 end) as refund_amount,
        sum(case when order_status <> 'cancelled' and refund_amount > 0 then 1 else 0 end) as refunded_orders,
        sum(case when order_status <> 'cancelled' then total_amount - refund_amount else 0 end) as order_net_revenue_amount,
        count(distinct customer_id) as ordering_customers
    from {{ ref('stg_oltp__orders') }}
    group by {{ to_date('ordered_at') }}

),

payments as (

    select
        {{ to_date('attempted_at') }} as date_day,
        sum(case when payment_status = 'succeeded' then 1 else 0 end) as payments_succeeded,
        sum(case when payment_status = 'failed' then 1 else 0 end) as payments_failed,
        sum(case when payment_status = 'succeeded' and invoice_id is not null then amount else 0 end) as subscription_revenue_amount
    from {{ ref('stg_oltp__payments') }}
    group by {{ to_date('attempted_at') }}

),

tickets_created as (

    select opened_on as date_day, count(*) as tickets_created
    from {{ ref('int_support_tickets') }}
    group by opened_on

),

tickets_resolved as (

    select resolved_on as date_day, count(*) as tickets_resolved
    from {{ ref('int_support_tickets') }}
    where resolved_on is not null
    group by resolved_on

),

spend as (

    select spend_date as date_day, sum(spend_amount) as marketing_spend_amount
    from {{ ref('stg_oltp__marketing_spend') }}
    group by spend_date

),

subscriptions as (

    select * from {{ ref('int_daily_subscription_position') }}

),

joined as (

    select
        days.date_day,
        coalesce(events.daily_active_customers, 0) as daily_active_customers,
        coalesce(events.visitors, 0) as visitors,
        coalesce(events.sessions, 0) as sessions,
        coalesce(events.events, 0) as events,
        coalesce(events.page_views, 0) as page_views,
        coalesce(events.feature_uses, 0) as feature_uses,
        coalesce(events.add_to_carts, 0) as add_to_carts,
        coalesce(events.checkouts, 0) as checkouts,
        coalesce(signups.new_signups, 0) as new_signups,
        coalesce(activations.activations, 0) as activations,
        coalesce(orders.orders_placed, 0) as orders_placed,
        coalesce(orders.orders_cancelled, 0) as orders_cancelled,
        coalesce(orders.ordering_customers, 0) as ordering_customers,
        coalesce(orders.gmv_amount, 0) as gmv_amount,
        coalesce(orders.refund_amount, 0) as refund_amount,
        coalesce(orders.refunded_orders, 0) as refunded_orders,
        coalesce(orders.order_net_revenue_amount, 0) as order_net_revenue_amount,
        coalesce(payments.subscription_revenue_amount, 0) as subscription_revenue_amount,
        coalesce(payments.payments_succeeded, 0) as payments_succeeded,
        coalesce(payments.payments_failed, 0) as payments_failed,
        coalesce(tickets_created.tickets_created, 0) as tickets_created,
        coalesce(tickets_resolved.tickets_resolved, 0) as tickets_resolved,
        coalesce(spend.marketing_spend_amount, 0) as marketing_spend_amount,
        subscriptions.paying_subscriptions,
        subscriptions.mrr_amount
    from days
    left join events on days.date_day = events.date_day
    left join signups on days.date_day = signups.date_day
    left join activations on days.date_day = activations.date_day
    left join orders on days.date_day = orders.date_day
    left join payments on days.date_day = payments.date_day
    left join tickets_created on days.date_day = tickets_created.date_day
    left join tickets_resolved on days.date_day = tickets_resolved.date_day
    left join spend on days.date_day = spend.date_day
    left join subscriptions on days.date_day = subscriptions.date_day

)

select
    date_day,
    cast(daily_active_customers as integer) as daily_active_customers,
    cast(visitors as integer) as visitors,
    cast(sessions as integer) as sessions,
    cast(events as integer) as events,
    cast(page_views as integer) as page_views,
    cast(feature_uses as integer) as feature_uses,
    cast(add_to_carts as integer) as add_to_carts,
    cast(checkouts as integer) as checkouts,
    cast(new_signups as integer) as new_signups,
    cast(activations as integer) as activations,
    cast(orders_placed as integer) as orders_placed,
    cast(orders_cancelled as integer) as orders_cancelled,
    cast(ordering_customers as integer) as ordering_customers,
    {{ ratio('orders_placed', 'sessions') }} as session_to_order_rate,
    cast(gmv_amount as numeric(18,2)) as gmv_amount,
    cast(refund_amount as numeric(18,2)) as refund_amount,
    cast(refunded_orders as integer) as refunded_orders,
    cast(order_net_revenue_amount as numeric(18,2)) as order_net_revenue_amount,
    cast(subscription_revenue_amount as numeric(18,2)) as subscription_revenue_amount,
    cast(order_net_revenue_amount + subscription_revenue_amount as numeric(18,2)) as net_revenue_amount,
    {{ money_divide('gmv_amount', 'orders_placed - orders_cancelled') }} as average_order_value_amount,
    cast(payments_succeeded as integer) as payments_succeeded,
    cast(payments_failed as integer) as payments_failed,
    {{ ratio('payments_succeeded', 'payments_succeeded + payments_failed') }} as payment_success_rate,
    cast(tickets_created as integer) as tickets_created,
    cast(tickets_resolved as integer) as tickets_resolved,
    cast(marketing_spend_amount as numeric(18,2)) as marketing_spend_amount,
    cast(coalesce(paying_subscriptions, 0) as integer) as paying_subscriptions,
    cast(coalesce(mrr_amount, 0) as numeric(18,2)) as mrr_amount
from joined
