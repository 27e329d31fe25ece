-- Daily sales per product and warehouse (orders not cancelled), dated by the order day.
-- Returns are attributed to the order day too, valued pro rata to the line amount.
with lines as (

    select * from {{ ref('int_order_lines') }}
    where not is_cancelled

),

products as (

    select product_id, category from {{ ref('dim_product') }}

)

select
    lines.ordered_on as date_day,
    lines.product_id,
    lines.warehouse_id,
    products.category,
    cast(count(distinct lines.order_id) as integer) as orders,
    cast(sum(lines.quantity) as integer) as units_sold,
    cast(sum(lines.returned_quantity) as integer) as units_returned,
    cast(sum(lines.quantity) - sum(lines.returned_quantity) as integer) as net_units,
    cast(sum(lines.gross_amount) as numeric(18,2)) as gross_sales_amount,
    cast(sum(lines.discount_amount) as numeric(18,2)) as discount_amount,
    cast(sum(lines.line_amount) as numeric(18,2)) as revenue_amount,
    cast(sum(lines.returned_amount) as numeric(18,2)) as returned_amount,
    cast(sum(lines.line_amount) - sum(lines.returned_amount) as numeric(18,2)) as net_revenue_amount
from lines
inner join products
    on lines.product_id = products.product_id
group by lines.ordered_on, lines.product_id, lines.warehouse_id, products.category
