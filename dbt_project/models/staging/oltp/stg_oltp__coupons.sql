-- Coupons issued under a promotion: percent or fixed discount with a minimum spend.
-- One row per coupon_id: the latest version by updated_at (ties broken by load time).
with source as (

    select * from {{ source('oltp', 'coupons') }}

),

latest as (

    select
        *,
        row_number() over (
            partition by coupon_id
            order by updated_at desc, _loaded_at desc
        ) as version_rank
    from source

)

select
    cast(coupon_id as {{ dbt.type_bigint() }}) as coupon_id,
    cast(promotion_id as {{ dbt.type_bigint() }}) as promotion_id,
    cast(coupon_code as {{ dbt.type_string() }}) as coupon_code,
    cast(discount_type as {{ dbt.type_string() }}) as discount_type,
    cast(discount_value as numeric(12,2)) as discount_value,
    cast(min_spend_amount as numeric(12,2)) as min_spend_amount,
    cast(valid_from as {{ dbt.type_timestamp() }}) as valid_from,
    cast(valid_to as {{ dbt.type_timestamp() }}) as valid_to,
    cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
    cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
    cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
from latest
where version_rank = 1
