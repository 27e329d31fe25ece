{{ config(materialized='table') }}
{#-
  One row per coupon redemption with its coupon, promotion and order. discount_amount is the
  discount cost the platform bore (equals the order's coupon_discount_amount).
-#}

with redemptions as (
    select * from {{ ref('stg_oltp__coupon_redemptions') }}
),

coupons as (
    select * from {{ ref('stg_oltp__coupons') }}
),

promotions as (
    select * from {{ ref('stg_oltp__promotions') }}
),

orders as (
    select * from {{ ref('stg_oltp__orders') }}
),

paid_orders as (
    select order_id, customer_order_number from {{ ref('int_marketing__paid_orders') }}
)

select
    cast(redemptions.redemption_id as bigint) as redemption_id,
    cast(redemptions.coupon_id as bigint) as coupon_id,
    cast(coupons.coupon_code as text) as coupon_code,
    cast(coupons.promotion_id as bigint) as promotion_id,
    cast(promotions.promotion_name as text) as promotion_name,
    cast(promotions.promotion_type as text) as promotion_type,
    cast(coupons.discount_type as text) as discount_type,
    {{ dbtb_money('coupons.discount_value') }} as discount_value,
    cast(redemptions.customer_id as bigint) as customer_id,
    cast(redemptions.order_id as bigint) as order_id,
    cast(orders.order_status as text) as order_status,
    cast(paid_orders.order_id is not null as boolean) as is_paid_order,
    cast(coalesce(paid_orders.customer_order_number = 1, false) as boolean) as is_first_order,
    {{ dbtb_money('redemptions.discount_amount') }} as discount_amount,
    {{ dbtb_money('orders.items_amount') }} as order_items_amount,
    {{ dbtb_money('orders.total_amount') }} as order_total_amount,
    cast(redemptions.redeemed_at as timestamp) as redeemed_at,
    cast(redemptions.redeemed_at as date) as redeemed_date
from redemptions
inner join coupons on coupons.coupon_id = redemptions.coupon_id
inner join promotions on promotions.promotion_id = coupons.promotion_id
left join orders on orders.order_id = redemptions.order_id
left join paid_orders on paid_orders.order_id = redemptions.order_id
