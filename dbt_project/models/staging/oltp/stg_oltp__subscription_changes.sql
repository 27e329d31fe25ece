-- Every change of a subscription's MRR (trial start, new, upgrade, downgrade, seat change, cancel, reactivate).
-- One row per change_id: the latest version by updated_at (ties broken by load time).
with source as (

    select * from {{ source('oltp', 'subscription_changes') }}

),

latest as (

    select
        *,
        row_number() over (
            partition by change_id
            order by updated_at desc, _loaded_at desc
        ) as version_rank
    from source

)

select
    cast(change_id as {{ dbt.type_bigint() }}) as change_id,
    cast(subscription_id as {{ dbt.type_bigint() }}) as subscription_id,
    cast(customer_id as {{ dbt.type_bigint() }}) as customer_id,
    cast(change_type as {{ dbt.type_string() }}) as change_type,
    cast(old_plan_id as {{ dbt.type_bigint() }}) as old_plan_id,
    cast(new_plan_id as {{ dbt.type_bigint() }}) as new_plan_id,
    cast(old_mrr_amount as numeric(12,2)) as old_mrr_amount,
    cast(new_mrr_amount as numeric(12,2)) as new_mrr_amount,
    cast(effective_at as {{ dbt.type_timestamp() }}) as effective_at,
    cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
    cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
    cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
from latest
where version_rank = 1
