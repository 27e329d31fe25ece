-- Signed stock movements per product and warehouse: receipts and returns add stock, sales remove it, adjustments correct counts.
-- One row per movement_id: the latest version by updated_at (ties broken by load time).
with source as (

    select * from {{ source('oltp', 'inventory_movements') }}

),

latest as (

    select
        *,
        row_number() over (
            partition by movement_id
            order by updated_at desc, _loaded_at desc
        ) as version_rank
    from source

)

select
    cast(movement_id as {{ dbt.type_bigint() }}) as movement_id,
    cast(product_id as {{ dbt.type_bigint() }}) as product_id,
    cast(warehouse_id as {{ dbt.type_bigint() }}) as warehouse_id,
    cast(movement_type as {{ dbt.type_string() }}) as movement_type,
    cast(quantity as {{ dbt.type_int() }}) as quantity,
    cast(order_id as {{ dbt.type_bigint() }}) as order_id,
    cast(moved_at as {{ dbt.type_timestamp() }}) as moved_at,
    cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
    cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
    cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
from latest
where version_rank = 1
