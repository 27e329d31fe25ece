{{ config(materialized='table') }}
{#-
  Company MRR bridge, one row per month from the first subscription change to the reporting month
  (no gaps): totals of fct_mrr_monthly. For every month
      opening_mrr + new + expansion + contraction + churned + reactivation = closing_mrr
  and closing_mrr equals the next month's opening_mrr. ARR = 12 x MRR.
  Customer counts aggregate subscriptions per customer first: a customer is active when the sum of
  their subscriptions' MRR is > 0; churned when active at opening and not at closing.
  Net revenue retention (NRR) for the month = MRR at closing of customers active at opening
  / their opening MRR (new customers excluded, reactivated/expanded/contracted/churned included).
-#}

with monthly as (
    select * from {{ ref('fct_mrr_monthly') }}
),

bounds as (
    select min(month_start) as first_month, max(month_start) as last_month from monthly
),

months as (
    {{ dbtb_period_spine('month', 'bounds', 'first_month', 'last_month', 1200) }}
),

subscription_totals as (
    select
        month_start,
        sum(opening_mrr) as opening_mrr,
        sum(new_mrr) as new_mrr,
        sum(expansion_mrr) as expansion_mrr,
        sum(contraction_mrr) as contraction_mrr,
        sum(churned_mrr) as churned_mrr,
        sum(reactivation_mrr) as reactivation_mrr,
        sum(closing_mrr) as closing_mrr,
        sum(case when is_active_at_open then 1 else 0 end) as opening_subscriptions,
        sum(case when is_active_at_close then 1 else 0 end) as closing_subscriptions,
        sum(case when is_new then 1 else 0 end) as new_subscriptions,
        sum(case when is_active_at_open and not is_active_at_close then 1 else 0 end) as churned_subscriptions
    from monthly
    group by 1
),

customer_months as (
    select month_start, customer_id, sum(opening_mrr) as opening_mrr, sum(closing_mrr) as closing_mrr
    from monthly
    group by 1, 2
),

customer_totals as (
    select
        month_start,
        sum(case when opening_mrr > 0 then 1 else 0 end) as opening_customers,
        sum(case when closing_mrr > 0 then 1 else 0 end) as closing_customers,
        sum(case when opening_mrr <= 0 and closing_mrr > 0 then 1 else 0 end) as gained_customers,
        sum(case when opening_mrr > 0 and closing_mrr <= 0 then 1 else 0 end) as churned_customers,
        sum(case when opening_mrr > 0 then closing_mrr else 0 end) as retained_customer_mrr
    from customer_months
    group by 1
),

joined as (
    select
        months.period_start as month_start,
        coalesce(subscription_totals.opening_mrr, 0) as opening_mrr,
        coalesce(subscription_totals.new_mrr, 0) as new_mrr,
        coalesce(subscription_totals.expansion_mrr, 0) as expansion_mrr,
        coalesce(subscription_totals.contraction_mrr, 0) as contraction_mrr,
        coalesce(subscription_totals.churned_mrr, 0) as churned_mrr,
        coalesce(subscription_totals.reactivation_mrr, 0) as reactivation_mrr,
        coalesce(subscription_totals.closing_mrr, 0) as closing_mrr,
        coalesce(subscription_totals.opening_subscriptions, 0) as opening_subscriptions,
        coalesce(subscription_totals.closing_subscriptions, 0) as closing_subscriptions,
        coalesce(subscription_totals.new_subscriptions, 0) as new_subscriptions,
        coalesce(subscription_totals.churned_subscriptions, 0) as churned_subscriptions,
        coalesce(customer_totals.opening_customers, 0) as opening_customers,
        coalesce(customer_totals.closing_customers, 0) as closing_customers,
        coalesce(customer_totals.gained_customers, 0) as gained_customers,
        coalesce(customer_totals.churned_customers, 0) as churned_customers,
        coalesce(customer_totals.retained_customer_mrr, 0) as retained_customer_mrr
    from months
    left join subscription_totals on subscription_totals.month_start = months.period_start
    left join customer_totals on customer_totals.month_start = months.period_start
)

select
    cast(month_start as date) as month_start,
    {{ dbtb_money('opening_mrr') }} as opening_mrr,
    {{ dbtb_money('new_mrr') }} as new_mrr,
    {{ dbtb_money('expansion_mrr') }} as expansion_mrr,
    {{ dbtb_money('contraction_mrr') }} as contraction_mrr,
    {{ dbtb_money('churned_mrr') }} as churned_mrr,
    {{ dbtb_money('reactivation_mrr') }} as reactivation_mrr,
    {{ dbtb_money('closing_mrr') }} as closing_mrr,
    {{ dbtb_money('closing_mrr - opening_mrr') }} as net_new_mrr,
    {{ dbtb_money('opening_mrr * 12') }} as opening_arr,
    {{ dbtb_money('closing_mrr * 12') }} as closing_arr,
    cast(opening_subscriptions as bigint) as opening_subscriptions,
    cast(closing_subscriptions as bigint) as closing_subscriptions,
    cast(new_subscriptions as bigint) as new_subscriptions,
    cast(churned_subscriptions as bigint) as churned_subscriptions,
    cast(opening_customers as bigint) as opening_customers,
    cast(closing_customers as bigint) as closing_customers,
    cast(gained_customers as bigint) as gained_customers,
    cast(churned_customers as bigint) as churned_customers,
    {{ dbtb_money('retained_customer_mrr') }} as retained_customer_mrr,
    cast({{ dbtb_safe_ratio('churned_customers', 'opening_customers') }} as double precision) as customer_churn_rate,
    cast({{ dbtb_safe_ratio('retained_customer_mrr', 'opening_mrr') }} as double precision) as net_revenue_retention,
    {{ dbtb_money_per('closing_mrr', 'closing_customers') }} as arpu
from joined
