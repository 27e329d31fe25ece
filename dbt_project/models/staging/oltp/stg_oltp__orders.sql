-- Customer orders (header). Status and timestamps are updated in place as the order is paid, shipped, delivered, cancelled or returned.
-- One row per order_id: the latest version by updated_at (ties broken by load time).
with source as (

    select * from {{ source('oltp', 'orders') }}

),

latest as (

    select
        *,
        row_number() over (
            partition by order_id
            order by updated_at desc, _loaded_at desc
        ) as version_rank
    from source

)

select
    cast(order_id as {{ dbt.type_bigint() }}) as order_id,
    cast(customer_id as {{ dbt.type_bigint() }}) as customer_id,
    cast(warehouse_id as {{ dbt.type_bigint() }}) as warehouse_id,
    cast(sales_channel as {{ dbt.type_string() }}) as sales_channel,
    cast(session_id as {{ dbt.type_string() }}) as session_id,
    cast(order_status as {{ dbt.type_string() }}) as order_status,
    cast(ordered_at as {{ dbt.type_timestamp() }}) as ordered_at,
    cast(paid_at as {{ dbt.type_timestamp() }}) as paid_at,
    cast(delivered_at as {{ dbt.type_timestamp() }}) as delivered_at,
    cast(coupon_id as {{ dbt.type_bigint() }}) as coupon_id,
    cast(items_amount as numeric(12,2)) as items_amount,
    cast(coupon_discount_amount as numeric(12,2)) as coupon_discount_amount,
    cast(shipping_amount as numeric(12,2)) as shipping_amount,
    cast(total_amount as numeric(12,2)) as total_amount,
    cast(refund_amount as numeric(12,2)) as refund_amount,
    cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
    cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
    cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
from latest
where version_rank = 1
