-- Fulfilment warehouses that hold stock.
-- One row per warehouse_id: the latest version by updated_at (ties broken by load time).
with source as (

    select * from {{ source('oltp', 'warehouses') }}

),

latest as (

    select
        *,
        row_number() over (
            partition by warehouse_id
            order by updated_at desc, _loaded_at desc
        ) as version_rank
    from source

)

select
    cast(warehouse_id as {{ dbt.type_bigint() }}) as warehouse_id,
    cast(warehouse_code as {{ dbt.type_string() }}) as warehouse_code,
    cast(warehouse_name as {{ dbt.type_string() }}) as warehouse_name,
    cast(city as {{ dbt.type_string() }}) as city,
    cast(region as {{ dbt.type_string() }}) as region,
    cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
    cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
    cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
from latest
where version_rank = 1
