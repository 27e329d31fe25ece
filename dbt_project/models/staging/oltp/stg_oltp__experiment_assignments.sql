-- Assignment of customers to experiment variants.
-- One row per assignment_id: the latest version by updated_at (ties broken by load time).
with source as (

    select * from {{ source('oltp', 'experiment_assignments') }}

),

latest as (

    select
        *,
        row_number() over (
            partition by assignment_id
            order by updated_at desc, _loaded_at desc
        ) as version_rank
    from source

)

select
    cast(assignment_id as {{ dbt.type_bigint() }}) as assignment_id,
    cast(experiment_id as {{ dbt.type_bigint() }}) as experiment_id,
    cast(variant_id as {{ dbt.type_bigint() }}) as variant_id,
    cast(customer_id as {{ dbt.type_bigint() }}) as customer_id,
    cast(assigned_at as {{ dbt.type_timestamp() }}) as assigned_at,
    cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
    cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
    cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
from latest
where version_rank = 1
