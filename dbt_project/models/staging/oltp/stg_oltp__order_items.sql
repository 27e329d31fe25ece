-- Order lines: product, quantity, price, line discount and returned quantity.
-- One row per order_item_id: the latest version by updated_at (ties broken by load time).
with source as (

    select * from {{ source('oltp', 'order_items') }}

),

latest as (

    select
        *,
        row_number() over (
            partition by order_item_id
            order by updated_at desc, _loaded_at desc
        ) as version_rank
    from source

)

select
    cast(order_item_id as {{ dbt.type_bigint() }}) as order_item_id,
    cast(order_id as {{ dbt.type_bigint() }}) as order_id,
    cast(product_id as {{ dbt.type_bigint() }}) as product_id,
    cast(quantity as {{ dbt.type_int() }}) as quantity,
    cast(unit_price as numeric(12,2)) as unit_price,
    cast(discount_amount as numeric(12,2)) as discount_amount,
    cast(line_amount as numeric(12,2)) as line_amount,
    cast(returned_quantity as {{ dbt.type_int() }}) as returned_quantity,
    cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
    cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
    cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
from latest
where version_rank = 1
