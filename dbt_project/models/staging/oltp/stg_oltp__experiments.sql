-- A/B(/n), factorial and A/A experiment definitions.
-- One row per experiment_id: the latest version by updated_at (ties broken by load time).
with source as (

    select * from {{ source('oltp', 'experiments') }}

),

latest as (

    select
        *,
        row_number() over (
            partition by experiment_id
            order by updated_at desc, _loaded_at desc
        ) as version_rank
    from source

)

select
    cast(experiment_id as {{ dbt.type_bigint() }}) as experiment_id,
    cast(experiment_key as {{ dbt.type_string() }}) as experiment_key,
    cast(experiment_name as {{ dbt.type_string() }}) as experiment_name,
    cast(hypothesis as {{ dbt.type_string() }}) as hypothesis,
    cast(design as {{ dbt.type_string() }}) as design,
    cast(primary_metric as {{ dbt.type_string() }}) as primary_metric,
    cast(starts_at as {{ dbt.type_timestamp() }}) as starts_at,
    cast(ends_at as {{ dbt.type_timestamp() }}) as ends_at,
    cast(experiment_status as {{ dbt.type_string() }}) as experiment_status,
    cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
    cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
    cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
from latest
where version_rank = 1
