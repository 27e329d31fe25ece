-- Variants (arms) of each experiment with traffic weight and factor levels.
-- One row per variant_id: the latest version by updated_at (ties broken by load time).
with source as (

    select * from {{ source('oltp', 'experiment_variants') }}

),

latest as (

    select
        *,
        row_number() over (
            partition by variant_id
            order by updated_at desc, _loaded_at desc
        ) as version_rank
    from source

)

select
    cast(variant_id as {{ dbt.type_bigint() }}) as variant_id,
    cast(experiment_id as {{ dbt.type_bigint() }}) as experiment_id,
    cast(variant_key as {{ dbt.type_string() }}) as variant_key,
    cast(is_control as {{ dbt.type_boolean() }}) as is_control,
    cast(traffic_weight as numeric(8,4)) as traffic_weight,
    cast(factor_levels as {{ dbt.type_string() }}) as factor_levels,
    cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
    cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
    cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
from latest
where version_rank = 1
