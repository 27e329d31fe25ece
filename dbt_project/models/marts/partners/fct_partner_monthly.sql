{{ config(materialized='table') }}
{#-
  Partner activity per calendar month, dense: every partner x every month from the first to the last
  month with orders or commission events (zeros included). The time-series companion of
  fct_partner_performance, and the base of the partner-sourced revenue and commissions metrics.
  referred_revenue = paid order revenue of the partner's referred customers (ordered_at month);
  commission_amount = the partner's fct_commission_ledger total for the month.
-#}

with partners as (
    select partner_id from {{ ref('stg_oltp__partners') }}
),

events as (
    select * from {{ ref('int_partners__commission_events') }}
),

paid_orders as (
    select ordered_at from {{ ref('int_marketing__paid_orders') }}
),

data_months as (
    select event_month as month_start from events
    union all
    select {{ dbtb_month_start('ordered_at') }} from paid_orders
),

bounds as (
    select min(month_start) as first_month, max(month_start) as last_month from data_months
),

months as (
    {{ dbtb_period_spine('month', 'bounds', 'first_month', 'last_month', 1200) }}
),

event_totals as (
    select
        partner_id,
        event_month,
        sum(case when event_type = 'order_revenue' then amount else 0 end) as referred_revenue,
        sum(case when event_type = 'order_revenue' then 1 else 0 end) as referred_orders,
        sum(case when event_type = 'first_order' then 1 else 0 end) as converted_customers,
        sum(case when event_type = 'subscription_payment' then amount else 0 end) as subscription_payments
    from events
    group by 1, 2
),

sign_ups as (
    select partner_id, {{ dbtb_month_start('signed_up_at') }} as signup_month, count(*) as new_referred_customers
    from {{ ref('stg_oltp__customers') }}
    where partner_id is not null
    group by 1, 2
),

commissions as (
    select partner_id, period_month, sum(commission_amount) as commission_amount
    from {{ ref('fct_commission_ledger') }}
    group by 1, 2
)

select
    cast(cast(partners.partner_id as text) || ':' || cast(months.period_start as text) as text) as partner_month_id,
    cast(partners.partner_id as bigint) as partner_id,
    cast(months.period_start as date) as month_start,
    cast(coalesce(sign_ups.new_referred_customers, 0) as bigint) as new_referred_customers,
    cast(coalesce(event_totals.converted_customers, 0) as bigint) as converted_customers,
    cast(coalesce(event_totals.referred_orders, 0) as bigint) as referred_orders,
    {{ dbtb_money('coalesce(event_totals.referred_revenue, 0)') }} as referred_revenue,
    {{ dbtb_money('coalesce(event_totals.subscription_payments, 0)') }} as referred_subscription_payments,
    {{ dbtb_money('coalesce(commissions.commission_amount, 0)') }} as commission_amount
from partners
cross join months
left join event_totals
    on event_totals.partner_id = partners.partner_id and event_totals.event_month = months.period_start
left join sign_ups
    on sign_ups.partner_id = partners.partner_id and sign_ups.signup_month = months.period_start
left join commissions
    on commissions.partner_id = partners.partner_id and commissions.period_month = months.period_start
