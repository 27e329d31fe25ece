-- Customer-service teams that tickets are assigned to.
-- One row per team_id: the latest version by updated_at (ties broken by load time).
with source as (

    select * from {{ source('oltp', 'support_teams') }}

),

latest as (

    select
        *,
        row_number() over (
            partition by team_id
            order by updated_at desc, _loaded_at desc
        ) as version_rank
    from source

)

select
    cast(team_id as {{ dbt.type_bigint() }}) as team_id,
    cast(team_name as {{ dbt.type_string() }}) as team_name,
    cast(team_name_zh as {{ dbt.type_string() }}) as team_name_zh,
    cast(primary_queue as {{ dbt.type_string() }}) as primary_queue,
    cast(region as {{ dbt.type_string() }}) as region,
    cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
    cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
    cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
from latest
where version_rank = 1
