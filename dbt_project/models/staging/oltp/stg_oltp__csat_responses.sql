-- Customer-satisfaction (1-5) answers given after a ticket.
-- One row per csat_id: the latest version by updated_at (ties broken by load time).
with source as (

    select * from {{ source('oltp', 'csat_responses') }}

),

latest as (

    select
        *,
        row_number() over (
            partition by csat_id
            order by updated_at desc, _loaded_at desc
        ) as version_rank
    from source

)

select
    cast(csat_id as {{ dbt.type_bigint() }}) as csat_id,
    cast(ticket_id as {{ dbt.type_bigint() }}) as ticket_id,
    cast(customer_id as {{ dbt.type_bigint() }}) as customer_id,
    cast(score as {{ dbt.type_int() }}) as score,
    cast(responded_at as {{ dbt.type_timestamp() }}) as responded_at,
    cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
    cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
    cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
from latest
where version_rank = 1
