{{ config(materialized='table') }}
{#-
  One row per partner — every partner, including those with no activity (zeros).
  referrals / signed_up_referrals / converted_referrals come from partner_referrals (the referral
  funnel: clicked -> signed_up -> converted); referred_customers are customers whose partner_id is
  the partner (the attribution commissions use); converted_customers are those with >= 1 paid order;
  referred_revenue is their paid order revenue (int_marketing__paid_orders), lifetime.
  commission_amount is the partner's total in fct_commission_ledger.
-#}

with partners as (
    select * from {{ ref('stg_oltp__partners') }}
),

referrals as (
    select
        partner_id,
        count(*) as referrals,
        sum(case when customer_id is not null then 1 else 0 end) as signed_up_referrals,
        sum(case when referral_status = 'converted' then 1 else 0 end) as converted_referrals,
        min(referred_at) as first_referred_at,
        max(referred_at) as last_referred_at
    from {{ ref('stg_oltp__partner_referrals') }}
    group by 1
),

referred_customers as (
    select customer_id, partner_id from {{ ref('stg_oltp__customers') }} where partner_id is not null
),

customer_revenue as (
    select
        customer_id,
        count(*) as paid_orders,
        sum(revenue_amount) as revenue_amount
    from {{ ref('int_marketing__paid_orders') }}
    group by 1
),

customer_totals as (
    select
        referred_customers.partner_id,
        count(*) as referred_customers,
        sum(case when customer_revenue.customer_id is not null then 1 else 0 end) as converted_customers,
        sum(coalesce(customer_revenue.paid_orders, 0)) as referred_orders,
        sum(coalesce(customer_revenue.revenue_amount, 0)) as referred_revenue
    from referred_customers
    left join customer_revenue on customer_revenue.customer_id = referred_customers.customer_id
    group by 1
),

subscription_payments as (
    select partner_id, sum(amount) as subscription_payments_amount
    from {{ ref('int_partners__commission_events') }}
    where event_type = 'subscription_payment'
    group by 1
),

commissions as (
    select partner_id, sum(commission_amount) as commission_amount
    from {{ ref('fct_commission_ledger') }}
    group by 1
)

select
    cast(partners.partner_id as bigint) as partner_id,
    cast(partners.partner_name as text) as partner_name,
    cast(partners.partner_type as text) as partner_type,
    cast(partners.tier as text) as partner_tier,
    cast(partners.region as text) as region,
    cast(partners.is_active as boolean) as is_active,
    cast(partners.joined_at as timestamp) as joined_at,
    cast(coalesce(referrals.referrals, 0) as bigint) as referrals,
    cast(coalesce(referrals.signed_up_referrals, 0) as bigint) as signed_up_referrals,
    cast(coalesce(referrals.converted_referrals, 0) as bigint) as converted_referrals,
    cast(coalesce(customer_totals.referred_customers, 0) as bigint) as referred_customers,
    cast(coalesce(customer_totals.converted_customers, 0) as bigint) as converted_customers,
    cast(coalesce(customer_totals.referred_orders, 0) as bigint) as referred_orders,
    {{ dbtb_money('coalesce(customer_totals.referred_revenue, 0)') }} as referred_revenue,
    {{ dbtb_money('coalesce(subscription_payments.subscription_payments_amount, 0)') }} as referred_subscription_payments,
    {{ dbtb_money('coalesce(commissions.commission_amount, 0)') }} as commission_amount,
    cast({{ dbtb_safe_ratio('coalesce(referrals.converted_referrals, 0)', 'referrals.referrals') }} as double precision)
        as referral_conversion_rate,
    cast(referrals.first_referred_at as timestamp) as first_referred_at,
    cast(referrals.last_referred_at as timestamp) as last_referred_at
from partners
left join referrals on referrals.partner_id = partners.partner_id
left join customer_totals on customer_totals.partner_id = partners.partner_id
left join subscription_payments on subscription_payments.partner_id = partners.partner_id
left join commissions on commissions.partner_id = partners.partner_id
