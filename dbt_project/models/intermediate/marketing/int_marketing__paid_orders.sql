{#-
  Orders that count as revenue: paid (paid_at set) and not cancelled. Returned orders stay in — the
  sale happened and refunds are tracked separately (refund_amount). One definition shared by
  attribution, campaign/channel performance, RFM, promotions and partner commissions.
-#}
with orders as (
    select * from {{ ref('stg_oltp__orders') }}
)

select
    order_id,
    customer_id,
    coupon_id,
    ordered_at,
    paid_at,
    cast(ordered_at as date) as order_date,
    cast(total_amount as numeric(18, 2)) as revenue_amount,
    cast(refund_amount as numeric(18, 2)) as refund_amount,
    cast(row_number() over (partition by customer_id order by ordered_at, order_id) as integer)
        as customer_order_number
from orders
where paid_at is not null
  and order_status <> 'cancelled'
