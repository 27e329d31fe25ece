-- Customer subscriptions; status and current MRR are updated in place.
-- One row per subscription_id: the latest version by updated_at (ties broken by load time).
with source as (

    select * from {{ source('oltp', 'subscriptions') }}

),

latest as (

    select
        *,
        row_number() over (
            partition by subscription_id
            order by updated_at desc, _loaded_at desc
        ) as version_rank
    from source

)

select
    cast(subscription_id as {{ dbt.type_bigint() }}) as subscription_id,
    cast(customer_id as {{ dbt.type_bigint() }}) as customer_id,
    cast(plan_id as {{ dbt.type_bigint() }}) as plan_id,
    cast(subscription_status as {{ dbt.type_string() }}) as subscription_status,
    cast(seats as {{ dbt.type_int() }}) as seats,
    cast(mrr_amount as numeric(12,2)) as mrr_amount,
    cast(started_at as {{ dbt.type_timestamp() }}) as started_at,
    cast(trial_ends_at as {{ dbt.type_timestamp() }}) as trial_ends_at,
    cast(cancelled_at as {{ dbt.type_timestamp() }}) as cancelled_at,
    cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
    cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
    cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
from latest
where version_rank = 1
