{{ config(materialized='table') }}
-- Daily stock position per product and warehouse, dense from the first movement of each pair to
-- the last movement day in the data, so stock carries over days without movements.
with movements as (

    select * from {{ ref('stg_oltp__inventory_movements') }}

),

daily_movements as (

    select
        {{ to_date('moved_at') }} as date_day,
        product_id,
        warehouse_id,
        sum(case when movement_type = 'receipt' then quantity else 0 end) as units_received,
        sum(case when movement_type = 'sale' then -quantity else 0 end) as units_sold,
        sum(case when movement_type = 'return' then quantity else 0 end) as units_returned,
        sum(case when movement_type = 'adjustment' then quantity else 0 end) as units_adjusted,
        sum(quantity) as net_change
    from movements
    group by {{ to_date('moved_at') }}, product_id, warehouse_id

),

pairs as (

    select product_id, warehouse_id, min(date_day) as first_day
    from daily_movements
    group by product_id, warehouse_id

),

last_movement_day as (

    select max(date_day) as last_day from daily_movements

),

grid as (

    select dates.date_day, pairs.product_id, pairs.warehouse_id
    from pairs
    cross join last_movement_day
    inner join {{ ref('dim_date') }} as dates
        on dates.date_day between pairs.first_day and last_movement_day.last_day

),

filled as (

    select
        grid.date_day,
        grid.product_id,
        grid.warehouse_id,
        cast(coalesce(daily_movements.units_received, 0) as integer) as units_received,
        cast(coalesce(daily_movements.units_sold, 0) as integer) as units_sold,
        cast(coalesce(daily_movements.units_returned, 0) as integer) as units_returned,
        cast(coalesce(daily_movements.units_adjusted, 0) as integer) as units_adjusted,
        cast(coalesce(daily_movements.net_change, 0) as integer) as net_change
    from grid
    left join daily_movements
        on grid.date_day = daily_movements.date_day
        and grid.product_id = daily_movements.product_id
        and grid.warehouse_id = daily_movements.warehouse_id

)

select
    filled.*,
    cast(sum(net_change) over (
        partition by product_id, warehouse_id order by date_day
        rows between unbounded preceding and current row
    ) as integer) as stock_on_hand,
    cast(sum(units_sold) over (
        partition by product_id, warehouse_id order by date_day
        rows between 27 preceding and current row
    ) as integer) as units_sold_trailing_28d
from filled
