-- Subscription plans with tier, billing mode, list price and trial length.
-- One row per plan_id: the latest version by updated_at (ties broken by load time).
with source as (

    select * from {{ source('oltp', 'subscription_plans') }}

),

latest as (

    select
        *,
        row_number() over (
            partition by plan_id
            order by updated_at desc, _loaded_at desc
        ) as version_rank
    from source

)

select
    cast(plan_id as {{ dbt.type_bigint() }}) as plan_id,
    cast(plan_code as {{ dbt.type_string() }}) as plan_code,
    cast(plan_name as {{ dbt.type_string() }}) as plan_name,
    cast(plan_tier as {{ dbt.type_string() }}) as plan_tier,
    cast(billing_mode as {{ dbt.type_string() }}) as billing_mode,
    cast(list_price as numeric(12,2)) as list_price,
    cast(trial_days as {{ dbt.type_int() }}) as trial_days,
    cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
    cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
    cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
from latest
where version_rank = 1
