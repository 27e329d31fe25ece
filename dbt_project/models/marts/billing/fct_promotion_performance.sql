{{ config(materialized='table') }}
{#-
  One row per promotion (every promotion, zeros when nothing was redeemed).

  Cost: redemptions and discount_cost (sum of coupon discounts on the promotion's coupons).
  Uplift — difference-in-differences against non-redeemers, per customer:
    window      = [starts_at, ends_at); pre-period = the equally long window right before starts_at
    eligible    = customers signed up before starts_at (they have a full pre-period)
    redeemers   = eligible customers who redeemed one of the promotion's coupons (any time);
                  non-redeemers = the other eligible customers
    revenue     = paid order revenue (int_marketing__paid_orders) of those customers in the window
    uplift_per_customer = (redeemer revenue per redeemer, window - pre)
                        - (non-redeemer revenue per non-redeemer, window - pre)
    incremental_revenue = uplift_per_customer x eligible redeemers
    promotion_roi       = (incremental_revenue - discount_cost) / discount_cost
  It controls for seasonality (a festival lifts everyone) and for redeemers' baseline spend, not
  for self-selection of who redeems; read it as an estimate, not a causal effect.
-#}

with promotions as (
    select
        promotion_id,
        promotion_name,
        promotion_type,
        starts_at,
        ends_at,
        starts_at - (ends_at - starts_at) as pre_starts_at
    from {{ ref('stg_oltp__promotions') }}
),

redemptions as (
    select * from {{ ref('fct_coupon_redemptions') }}
),

coupon_counts as (
    select promotion_id, count(*) as coupons_issued
    from {{ ref('stg_oltp__coupons') }}
    group by 1
),

redemption_totals as (
    select
        promotion_id,
        count(*) as redemptions,
        count(distinct customer_id) as redeeming_customers,
        sum(discount_amount) as discount_cost,
        sum(case when is_paid_order then order_total_amount else 0 end) as redeemed_order_revenue,
        sum(case when is_first_order then 1 else 0 end) as first_order_redemptions
    from redemptions
    group by 1
),

redeemers as (
    select distinct promotion_id, customer_id from redemptions
),

customers as (
    select customer_id, signed_up_at from {{ ref('stg_oltp__customers') }}
),

paid_orders as (
    select customer_id, ordered_at, revenue_amount from {{ ref('int_marketing__paid_orders') }}
),

-- Revenue of every eligible customer in the window and the pre-period, per promotion.
eligible_revenue as (
    select
        promotions.promotion_id,
        sum(case when paid_orders.ordered_at >= promotions.starts_at then paid_orders.revenue_amount else 0 end)
            as revenue_during,
        sum(case when paid_orders.ordered_at < promotions.starts_at then paid_orders.revenue_amount else 0 end)
            as revenue_pre
    from promotions
    inner join paid_orders
        on paid_orders.ordered_at >= promotions.pre_starts_at
        and paid_orders.ordered_at < promotions.ends_at
    inner join customers
        on customers.customer_id = paid_orders.customer_id
        and customers.signed_up_at < promotions.starts_at
    group by 1
),

eligible_counts as (
    select promotions.promotion_id, count(*) as eligible_customers
    from promotions
    inner join customers on customers.signed_up_at < promotions.starts_at
    group by 1
),

redeemer_counts as (
    select
        promotions.promotion_id,
        sum(case when customers.signed_up_at < promotions.starts_at then 1 else 0 end) as eligible_redeemers
    from promotions
    inner join redeemers on redeemers.promotion_id = promotions.promotion_id
    inner join customers on customers.customer_id = redeemers.customer_id
    group by 1
),

redeemer_order_revenue as (
    select
        promotions.promotion_id,
        sum(case when paid_orders.ordered_at >= promotions.starts_at and customers.signed_up_at < promotions.starts_at
                 then paid_orders.revenue_amount else 0 end) as eligible_revenue_during,
        sum(case when paid_orders.ordered_at < promotions.starts_at and customers.signed_up_at < promotions.starts_at
                 then paid_orders.revenue_amount else 0 end) as eligible_revenue_pre
    from promotions
    inner join redeemers on redeemers.promotion_id = promotions.promotion_id
    inner join customers on customers.customer_id = redeemers.customer_id
    inner join paid_orders
        on paid_orders.customer_id = redeemers.customer_id
        and paid_orders.ordered_at >= promotions.pre_starts_at
        and paid_orders.ordered_at < promotions.ends_at
    group by 1
),

joined as (
    select
        promotions.*,
        coalesce(coupon_counts.coupons_issued, 0) as coupons_issued,
        coalesce(redemption_totals.redemptions, 0) as redemptions,
        coalesce(redemption_totals.redeeming_customers, 0) as redeeming_customers,
        coalesce(redemption_totals.first_order_redemptions, 0) as first_order_redemptions,
        coalesce(redemption_totals.discount_cost, 0) as discount_cost,
        coalesce(redemption_totals.redeemed_order_revenue, 0) as redeemed_order_revenue,
        coalesce(redeemer_counts.eligible_redeemers, 0) as eligible_redeemers,
        coalesce(redeemer_order_revenue.eligible_revenue_during, 0) as redeemer_revenue_during,
        coalesce(redeemer_order_revenue.eligible_revenue_pre, 0) as redeemer_revenue_pre,
        coalesce(eligible_counts.eligible_customers, 0) - coalesce(redeemer_counts.eligible_redeemers, 0)
            as non_redeemer_customers,
        coalesce(eligible_revenue.revenue_during, 0) - coalesce(redeemer_order_revenue.eligible_revenue_during, 0)
            as non_redeemer_revenue_during,
        coalesce(eligible_revenue.revenue_pre, 0) - coalesce(redeemer_order_revenue.eligible_revenue_pre, 0)
            as non_redeemer_revenue_pre
    from promotions
    left join coupon_counts on coupon_counts.promotion_id = promotions.promotion_id
    left join redemption_totals on redemption_totals.promotion_id = promotions.promotion_id
    left join redeemer_counts on redeemer_counts.promotion_id = promotions.promotion_id
    left join redeemer_order_revenue on redeemer_order_revenue.promotion_id = promotions.promotion_id
    left join eligible_revenue on eligible_revenue.promotion_id = promotions.promotion_id
    left join eligible_counts on eligible_counts.promotion_id = promotions.promotion_id
),

per_customer as (
    select
        *,
        case when eligible_redeemers > 0 and non_redeemer_customers > 0 then
            (redeemer_revenue_during - redeemer_revenue_pre) / eligible_redeemers
            - (non_redeemer_revenue_during - non_redeemer_revenue_pre) / non_redeemer_customers
        end as uplift_per_customer
    from joined
)

select
    cast(promotion_id as bigint) as promotion_id,
    cast(promotion_name as text) as promotion_name,
    cast(promotion_type as text) as promotion_type,
    cast(starts_at as timestamp) as starts_at,
    cast(ends_at as timestamp) as ends_at,
    cast(pre_starts_at as timestamp) as pre_period_starts_at,
    cast(coupons_issued as bigint) as coupons_issued,
    cast(redemptions as bigint) as redemptions,
    cast(redeeming_customers as bigint) as redeeming_customers,
    cast(first_order_redemptions as bigint) as first_order_redemptions,
    cast(eligible_redeemers as bigint) as eligible_redeemers,
    {{ dbtb_money('discount_cost') }} as discount_cost,
    {{ dbtb_money('redeemed_order_revenue') }} as redeemed_order_revenue,
    {{ dbtb_money('redeemer_revenue_during') }} as redeemer_revenue_during,
    {{ dbtb_money('redeemer_revenue_pre') }} as redeemer_revenue_pre,
    cast(non_redeemer_customers as bigint) as non_redeemer_customers,
    {{ dbtb_money('non_redeemer_revenue_during') }} as non_redeemer_revenue_during,
    {{ dbtb_money('non_redeemer_revenue_pre') }} as non_redeemer_revenue_pre,
    {{ dbtb_round_money('uplift_per_customer') }} as uplift_per_customer,
    {{ dbtb_round_money('uplift_per_customer * eligible_redeemers') }} as incremental_revenue,
    cast({{ dbtb_safe_ratio('uplift_per_customer * eligible_redeemers - discount_cost', 'discount_cost') }}
        as double precision) as promotion_roi
from per_customer
