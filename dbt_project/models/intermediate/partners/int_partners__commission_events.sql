{#-
  Everything a partner can earn commission on, one row per event of a customer referred by that
  partner (customers.partner_id):
    order_revenue         every paid order (int_marketing__paid_orders), amount = order revenue,
                          dated by ordered_at
    first_order           the customer's first paid order ever, amount = its revenue (flat bounty)
    subscription_payment  every succeeded payment of a subscription invoice, amount = payment amount,
                          dated by attempted_at; months_since_signup_end marks the end of the
                          recurring window via signed_up_at (compared per rule downstream)
-#}

with referred_customers as (
    select customer_id, partner_id, signed_up_at
    from {{ ref('stg_oltp__customers') }}
    where partner_id is not null
),

paid_orders as (
    select * from {{ ref('int_marketing__paid_orders') }}
),

subscription_payments as (
    select payment_id, customer_id, amount, attempted_at
    from {{ ref('stg_oltp__payments') }}
    where payment_status = 'succeeded'
      and invoice_id is not null
),

events as (
    select
        'order_revenue' as event_type,
        paid_orders.order_id as source_id,
        referred_customers.partner_id,
        referred_customers.customer_id,
        referred_customers.signed_up_at,
        paid_orders.ordered_at as event_at,
        paid_orders.revenue_amount as amount
    from paid_orders
    inner join referred_customers on referred_customers.customer_id = paid_orders.customer_id

    union all

    select
        'first_order' as event_type,
        paid_orders.order_id as source_id,
        referred_customers.partner_id,
        referred_customers.customer_id,
        referred_customers.signed_up_at,
        paid_orders.ordered_at as event_at,
        paid_orders.revenue_amount as amount
    from paid_orders
    inner join referred_customers on referred_customers.customer_id = paid_orders.customer_id
    where paid_orders.customer_order_number = 1

    union all

    select
        'subscription_payment' as event_type,
        subscription_payments.payment_id as source_id,
        referred_customers.partner_id,
        referred_customers.customer_id,
        referred_customers.signed_up_at,
        subscription_payments.attempted_at as event_at,
        subscription_payments.amount
    from subscription_payments
    inner join referred_customers on referred_customers.customer_id = subscription_payments.customer_id
)

select
    cast(event_type as text) as event_type,
    cast(source_id as bigint) as source_id,
    cast(partner_id as bigint) as partner_id,
    cast(customer_id as bigint) as customer_id,
    cast(signed_up_at as timestamp) as signed_up_at,
    cast(event_at as timestamp) as event_at,
    cast(event_at as date) as event_date,
    {{ dbtb_month_start('event_at') }} as event_month,
    cast(amount as numeric(18, 2)) as amount
from events
