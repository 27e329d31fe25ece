-- Promotions (festival, welcome, win-back, partner) that coupons belong to.
-- One row per promotion_id: the latest version by updated_at (ties broken by load time).
with source as (

    select * from {{ source('oltp', 'promotions') }}

),

latest as (

    select
        *,
        row_number() over (
            partition by promotion_id
            order by updated_at desc, _loaded_at desc
        ) as version_rank
    from source

)

select
    cast(promotion_id as {{ dbt.type_bigint() }}) as promotion_id,
    cast(promotion_name as {{ dbt.type_string() }}) as promotion_name,
    cast(promotion_type as {{ dbt.type_string() }}) as promotion_type,
    cast(starts_at as {{ dbt.type_timestamp() }}) as starts_at,
    cast(ends_at as {{ dbt.type_timestamp() }}) as ends_at,
    cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
    cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
    cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
from latest
where version_rank = 1
