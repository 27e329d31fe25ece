-- Product catalogue (one row per SKU) with list price and unit cost.
-- One row per product_id: the latest version by updated_at (ties broken by load time).
with source as (

    select * from {{ source('oltp', 'products') }}

),

latest as (

    select
        *,
        row_number() over (
            partition by product_id
            order by updated_at desc, _loaded_at desc
        ) as version_rank
    from source

)

select
    cast(product_id as {{ dbt.type_bigint() }}) as product_id,
    cast(sku as {{ dbt.type_string() }}) as sku,
    cast(product_name as {{ dbt.type_string() }}) as product_name,
    cast(category as {{ dbt.type_string() }}) as category,
    cast(brand as {{ dbt.type_string() }}) as brand,
    cast(unit_price as numeric(12,2)) as unit_price,
    cast(unit_cost as numeric(12,2)) as unit_cost,
    cast(is_active as {{ dbt.type_boolean() }}) as is_active,
    cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
    cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
    cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
from latest
where version_rank = 1
