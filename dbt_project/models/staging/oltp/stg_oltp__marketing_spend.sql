-- Daily spend and impressions per campaign and channel.
-- One row per spend_id: the latest version by updated_at (ties broken by load time).
with source as (

    select * from {{ source('oltp', 'marketing_spend') }}

),

latest as (

    select
        *,
        row_number() over (
            partition by spend_id
            order by updated_at desc, _loaded_at desc
        ) as version_rank
    from source

)

select
    cast(spend_id as {{ dbt.type_bigint() }}) as spend_id,
    cast(campaign_id as {{ dbt.type_bigint() }}) as campaign_id,
    cast(channel_code as {{ dbt.type_string() }}) as channel_code,
    cast(spend_date as date) as spend_date,
    cast(spend_amount as numeric(12,2)) as spend_amount,
    cast(impressions as {{ dbt.type_int() }}) as impressions,
    cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
    cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
    cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
from latest
where version_rank = 1
