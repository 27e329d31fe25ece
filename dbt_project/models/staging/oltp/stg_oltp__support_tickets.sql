-- Customer-service tickets with channel, queue, category, assigned team and lifecycle timestamps. Subject/body are free text (zh/en).
-- One row per ticket_id: the latest version by updated_at (ties broken by load time).
with source as (

    select * from {{ source('oltp', 'support_tickets') }}

),

latest as (

    select
        *,
        row_number() over (
            partition by ticket_id
            order by updated_at desc, _loaded_at desc
        ) as version_rank
    from source

)

select
    cast(ticket_id as {{ dbt.type_bigint() }}) as ticket_id,
    cast(customer_id as {{ dbt.type_bigint() }}) as customer_id,
    cast(order_id as {{ dbt.type_bigint() }}) as order_id,
    cast(channel as {{ dbt.type_string() }}) as channel,
    cast(queue as {{ dbt.type_string() }}) as queue,
    cast(category as {{ dbt.type_string() }}) as category,
    cast(priority as {{ dbt.type_string() }}) as priority,
    cast(language as {{ dbt.type_string() }}) as language,
    cast(subject as {{ dbt.type_string() }}) as subject,
    cast(body as {{ dbt.type_string() }}) as body,
    cast(assigned_team_id as {{ dbt.type_bigint() }}) as assigned_team_id,
    cast(ticket_status as {{ dbt.type_string() }}) as ticket_status,
    cast(reopen_count as {{ dbt.type_int() }}) as reopen_count,
    cast(sla_hours as {{ dbt.type_int() }}) as sla_hours,
    cast(opened_at as {{ dbt.type_timestamp() }}) as opened_at,
    cast(first_response_at as {{ dbt.type_timestamp() }}) as first_response_at,
    cast(resolved_at as {{ dbt.type_timestamp() }}) as resolved_at,
    cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
    cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
    cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
from latest
where version_rank = 1
