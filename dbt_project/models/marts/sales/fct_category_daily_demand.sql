-- Forecasting input: units demanded per day, category and warehouse, zero-filled over every day
-- between the first and the last order day so each series is regular. stock_out_share tells the
-- forecaster how much of the category was unavailable that day (demand may be censored).
with lines as (

    select * from {{ ref('int_order_lines') }}
    where not is_cancelled

),

products as (

    select product_id, category from {{ ref('dim_product') }}

),

demand as (

    select
        lines.ordered_on as date_day,
        products.category,
        lines.warehouse_id,
        count(distinct lines.order_id) as orders,
        sum(lines.quantity) as units,
        sum(lines.line_amount) as revenue_amount
    from lines
    inner join products
        on lines.product_id = products.product_id
    group by lines.ordered_on, products.category, lines.warehouse_id

),

bounds as (

    select min(ordered_on) as first_day, max(ordered_on) as last_day from lines

),

grid as (

    select dates.date_day, categories.category, warehouses.warehouse_id
    from {{ ref('dim_date') }} as dates
    cross join bounds
    cross join (select distinct category from products) as categories
    cross join (select warehouse_id from {{ ref('dim_warehouse') }}) as warehouses
    where dates.date_day between bounds.first_day and bounds.last_day

),

stock as (

    select
        inventory.date_day,
        products.category,
        inventory.warehouse_id,
        count(*) as stocked_products,
        sum(case when inventory.stock_on_hand <= 0 then 1 else 0 end) as stocked_out_products
    from {{ ref('int_inventory_daily') }} as inventory
    inner join products
        on inventory.product_id = products.product_id
    group by inventory.date_day, products.category, inventory.warehouse_id

)

select
    grid.date_day,
    grid.category,
    grid.warehouse_id,
    cast(coalesce(demand.orders, 0) as integer) as orders,
    cast(coalesce(demand.units, 0) as integer) as units,
    cast(coalesce(demand.revenue_amount, 0) as numeric(18,2)) as revenue_amount,
    cast(coalesce(stock.stocked_out_products, 0) as integer) as stocked_out_products,
    {{ ratio('stock.stocked_out_products', 'stock.stocked_products') }} as stock_out_share
from grid
left join demand
    on grid.date_day = demand.date_day
    and grid.category = demand.category
    and grid.warehouse_id = demand.warehouse_id
left join stock
    on grid.date_day = stock.date_day
    and grid.category = stock.category
    and grid.warehouse_id = stock.warehouse_id
