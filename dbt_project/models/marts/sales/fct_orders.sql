-- Order facts, one row per order. GMV = total_amount of orders that were not cancelled;
-- net revenue = GMV - refunds. Refunds are dated by the order (cohort view), not the refund day.
with orders as (

    select * from {{ ref('stg_oltp__orders') }}

),

lines as (

    select
        order_id,
        sum(quantity) as units,
        sum(returned_quantity) as units_returned,
        count(*) as line_count
    from {{ ref('stg_oltp__order_items') }}
    group by order_id

),

numbered as (

    select
        order_id,
        row_number() over (partition by customer_id order by ordered_at, order_id) as customer_order_number
    from orders

)

select
    orders.order_id,
    orders.customer_id,
    orders.warehouse_id,
    orders.sales_channel,
    orders.session_id,
    orders.coupon_id,
    orders.order_status,
    orders.ordered_at,
    {{ to_date('orders.ordered_at') }} as ordered_on,
    orders.paid_at,
    orders.delivered_at,
    orders.order_status = 'cancelled' as is_cancelled,
    orders.paid_at is not null as is_paid,
    orders.refund_amount > 0 as has_refund,
    cast(numbered.customer_order_number as integer) as customer_order_number,
    numbered.customer_order_number = 1 as is_first_order,
    cast(coalesce(lines.line_count, 0) as integer) as line_count,
    cast(coalesce(lines.units, 0) as integer) as units,
    cast(coalesce(lines.units_returned, 0) as integer) as units_returned,
    cast(orders.items_amount as numeric(18,2)) as items_amount,
    cast(orders.coupon_discount_amount as numeric(18,2)) as coupon_discount_amount,
    cast(orders.shipping_amount as numeric(18,2)) as shipping_amount,
    cast(orders.total_amount as numeric(18,2)) as total_amount,
    cast(orders.refund_amount as numeric(18,2)) as refund_amount,
    cast(case when orders.order_status = 'cancelled' then 0 else orders.total_amount end as numeric(18,2)) as gmv_amount,
    cast(case when orders.order_status = 'cancelled' then 0
              else orders.total_amount - orders.refund_amount end as numeric(18,2)) as net_revenue_amount
from orders
inner join numbered
    on orders.order_id = numbered.order_id
left join lines
    on orders.order_id = lines.order_id
