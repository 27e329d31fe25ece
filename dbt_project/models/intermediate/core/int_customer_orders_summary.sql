-- Order milestones per customer that ordered: first order, first paid order (= activation).
select
    customer_id,
    min(ordered_at) as first_order_at,
    min(paid_at) as first_paid_at,
    max(ordered_at) as last_order_at,
    count(*) as orders_count
from {{ ref('stg_oltp__orders') }}
group by customer_id
