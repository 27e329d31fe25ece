-- Daily stock per product and warehouse: movements, end-of-day stock, stock-out flag, days of
-- supply (stock / average daily sales of the trailing 28 days) and the inputs of inventory
-- turnover (COGS and stock value at cost; turnover = COGS / average stock value over a period).
with inventory as (

    select * from {{ ref('int_inventory_daily') }}

),

products as (

    select product_id, category, unit_cost from {{ ref('dim_product') }}

)

select
    inventory.date_day,
    inventory.product_id,
    inventory.warehouse_id,
    products.category,
    inventory.units_received,
    inventory.units_sold,
    inventory.units_returned,
    inventory.units_adjusted,
    inventory.net_change,
    cast(inventory.stock_on_hand - inventory.net_change as integer) as opening_stock,
    inventory.stock_on_hand,
    inventory.stock_on_hand <= 0 as is_stock_out,
    inventory.units_sold_trailing_28d,
    cast(case
        when inventory.units_sold_trailing_28d > 0
            then greatest(inventory.stock_on_hand, 0) * 28.0 / inventory.units_sold_trailing_28d
    end as double precision) as days_of_supply,
    cast(greatest(inventory.stock_on_hand, 0) * products.unit_cost as numeric(18,2)) as stock_value_at_cost,
    cast(inventory.units_sold * products.unit_cost as numeric(18,2)) as cogs_amount
from inventory
inner join products
    on inventory.product_id = products.product_id
