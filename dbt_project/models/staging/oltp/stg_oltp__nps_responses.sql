-- Net-promoter-score survey answers (0-10).
-- One row per nps_id: the latest version by updated_at (ties broken by load time).
with source as (

    select * from {{ source('oltp', 'nps_responses') }}

),

latest as (

    select
        *,
        row_number() over (
            partition by nps_id
            order by updated_at desc, _loaded_at desc
        ) as version_rank
    from source

)

select
    cast(nps_id as {{ dbt.type_bigint() }}) as nps_id,
    cast(customer_id as {{ dbt.type_bigint() }}) as customer_id,
    cast(score as {{ dbt.type_int() }}) as score,
    cast(survey_channel as {{ dbt.type_string() }}) as survey_channel,
    cast(comment as {{ dbt.type_string() }}) as comment,
    cast(responded_at as {{ dbt.type_timestamp() }}) as responded_at,
    cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
    cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
    cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
from latest
where version_rank = 1
