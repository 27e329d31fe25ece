-- Individual marketing touches (send, open, click) of a campaign reaching a customer.
-- One row per touch_id: the latest version by updated_at (ties broken by load time).
with source as (

    select * from {{ source('oltp', 'marketing_touches') }}

),

latest as (

    select
        *,
        row_number() over (
            partition by touch_id
            order by updated_at desc, _loaded_at desc
        ) as version_rank
    from source

)

select
    cast(touch_id as {{ dbt.type_bigint() }}) as touch_id,
    cast(campaign_id as {{ dbt.type_bigint() }}) as campaign_id,
    cast(customer_id as {{ dbt.type_bigint() }}) as customer_id,
    cast(channel_code as {{ dbt.type_string() }}) as channel_code,
    cast(touch_type as {{ dbt.type_string() }}) as touch_type,
    cast(touched_at as {{ dbt.type_timestamp() }}) as touched_at,
    cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
    cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
    cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
from latest
where version_rank = 1
