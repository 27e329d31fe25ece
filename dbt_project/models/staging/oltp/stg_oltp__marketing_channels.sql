-- Reference list of the marketing channels (email, SMS, WeChat, Douyin, ...).
-- One row per channel_id: the latest version by updated_at (ties broken by load time).
with source as (

    select * from {{ source('oltp', 'marketing_channels') }}

),

latest as (

    select
        *,
        row_number() over (
            partition by channel_id
            order by updated_at desc, _loaded_at desc
        ) as version_rank
    from source

)

select
    cast(channel_id as {{ dbt.type_bigint() }}) as channel_id,
    cast(channel_code as {{ dbt.type_string() }}) as channel_code,
    cast(channel_name as {{ dbt.type_string() }}) as channel_name,
    cast(channel_name_zh as {{ dbt.type_string() }}) as channel_name_zh,
    cast(channel_type as {{ dbt.type_string() }}) as channel_type,
    cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
    cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
    cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
from latest
where version_rank = 1
