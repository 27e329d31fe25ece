-- Order lines with their order header, one row per order_item_id. Returned value of a line is
-- its line_amount pro rata to returned units, rounded to the cent with exact integer arithmetic.
with items as (

    select * from {{ ref('stg_oltp__order_items') }}

),

orders as (

    select * from {{ ref('stg_oltp__orders') }}

)

select
    items.order_item_id,
    items.order_id,
    orders.customer_id,
    orders.warehouse_id,
    items.product_id,
    orders.sales_channel,
    orders.order_status,
    orders.order_status = 'cancelled' as is_cancelled,
    orders.ordered_at,
    {{ to_date('orders.ordered_at') }} as ordered_on,
    items.quantity,
    items.returned_quantity,
    items.unit_price,
    cast(items.quantity * items.unit_price as numeric(18,2)) as gross_amount,
    items.discount_amount,
    items.line_amount,
    cast({{ money_fraction('items.line_amount', 'items.returned_quantity', 'items.quantity') }} as numeric(18,2)) as returned_amount
from items
inner join orders
    on items.order_id = orders.order_id
