-- Partners (affiliates, resellers, agencies, KOLs) that refer customers.
-- One row per partner_id: the latest version by updated_at (ties broken by load time).
with source as (

    select * from {{ source('oltp', 'partners') }}

),

latest as (

    select
        *,
        row_number() over (
            partition by partner_id
            order by updated_at desc, _loaded_at desc
        ) as version_rank
    from source

)

select
    cast(partner_id as {{ dbt.type_bigint() }}) as partner_id,
    cast(partner_name as {{ dbt.type_string() }}) as partner_name,
    cast(partner_type as {{ dbt.type_string() }}) as partner_type,
    cast(tier as {{ dbt.type_string() }}) as tier,
    cast(region as {{ dbt.type_string() }}) as region,
    cast(joined_at as {{ dbt.type_timestamp() }}) as joined_at,
    cast(is_active as {{ dbt.type_boolean() }}) as is_active,
    cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
    cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
    cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
from latest
where version_rank = 1
