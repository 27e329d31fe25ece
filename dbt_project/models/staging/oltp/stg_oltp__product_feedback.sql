-- Product feedback items from app stores, in-app, surveys, support and social media.
-- One row per feedback_id: the latest version by updated_at (ties broken by load time).
with source as (

    select * from {{ source('oltp', 'product_feedback') }}

),

latest as (

    select
        *,
        row_number() over (
            partition by feedback_id
            order by updated_at desc, _loaded_at desc
        ) as version_rank
    from source

)

select
    cast(feedback_id as {{ dbt.type_bigint() }}) as feedback_id,
    cast(customer_id as {{ dbt.type_bigint() }}) as customer_id,
    cast(product_id as {{ dbt.type_bigint() }}) as product_id,
    cast(source as {{ dbt.type_string() }}) as source,
    cast(topic as {{ dbt.type_string() }}) as topic,
    cast(rating as {{ dbt.type_int() }}) as rating,
    cast(content as {{ dbt.type_string() }}) as content,
    cast(feedback_status as {{ dbt.type_string() }}) as feedback_status,
    cast(submitted_at as {{ dbt.type_timestamp() }}) as submitted_at,
    cast(first_response_at as {{ dbt.type_timestamp() }}) as first_response_at,
    cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
    cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
    cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
from latest
where version_rank = 1
