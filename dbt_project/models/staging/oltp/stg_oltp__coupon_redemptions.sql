-- Coupons redeemed on orders, with the discount granted.
-- One row per redemption_id: the latest version by updated_at (ties broken by load time).
with source as (

    select * from {{ source('oltp', 'coupon_redemptions') }}

),

latest as (

    select
        *,
        row_number() over (
            partition by redemption_id
            order by updated_at desc, _loaded_at desc
        ) as version_rank
    from source

)

select
    cast(redemption_id as {{ dbt.type_bigint() }}) as redemption_id,
    cast(coupon_id as {{ dbt.type_bigint() }}) as coupon_id,
    cast(customer_id as {{ dbt.type_bigint() }}) as customer_id,
    cast(order_id as {{ dbt.type_bigint() }}) as order_id,
    cast(discount_amount as numeric(12,2)) as discount_amount,
    cast(redeemed_at as {{ dbt.type_timestamp() }}) as redeemed_at,
    cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
    cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
    cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
from latest
where version_rank = 1
