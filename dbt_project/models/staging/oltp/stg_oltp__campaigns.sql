-- Marketing campaigns, each run on one channel with a budget and a date range.
-- One row per campaign_id: the latest version by updated_at (ties broken by load time).
with source as (

    select * from {{ source('oltp', 'campaigns') }}

),

latest as (

    select
        *,
        row_number() over (
            partition by campaign_id
            order by updated_at desc, _loaded_at desc
        ) as version_rank
    from source

)

select
    cast(campaign_id as {{ dbt.type_bigint() }}) as campaign_id,
    cast(campaign_name as {{ dbt.type_string() }}) as campaign_name,
    cast(channel_code as {{ dbt.type_string() }}) as channel_code,
    cast(objective as {{ dbt.type_string() }}) as objective,
    cast(target_segment as {{ dbt.type_string() }}) as target_segment,
    cast(starts_on as date) as starts_on,
    cast(ends_on as date) as ends_on,
    cast(budget_amount as numeric(12,2)) as budget_amount,
    cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
    cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
    cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
from latest
where version_rank = 1
