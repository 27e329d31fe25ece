-- Behaviour events, one row per event_id (the latest load wins if a file was re-delivered), with
-- the JSON `properties` flattened into the typed columns downstream models need. Which keys an
-- event carries depends on event_name (see the brief / README); absent keys are null.
with source as (

    select * from {{ source('clickstream', 'clickstream_events') }}

),

latest as (

    select
        *,
        row_number() over (
            partition by event_id
            order by _loaded_at desc, source_file desc
        ) as load_rank
    from source

)

select
    cast(event_id as {{ dbt.type_string() }}) as event_id,
    cast(event_name as {{ dbt.type_string() }}) as event_name,
    cast(occurred_at as {{ dbt.type_timestamp() }}) as occurred_at,
    cast(occurred_at as date) as occurred_on,
    cast(customer_id as {{ dbt.type_bigint() }}) as customer_id,
    cast(anonymous_id as {{ dbt.type_string() }}) as anonymous_id,
    cast(session_id as {{ dbt.type_string() }}) as session_id,
    cast(device as {{ dbt.type_string() }}) as device,
    cast(page as {{ dbt.type_string() }}) as page,
    cast(properties as {{ dbt.type_string() }}) as properties,
    cast(schema_version as {{ dbt.type_int() }}) as schema_version,
    cast(source_file as {{ dbt.type_string() }}) as source_file,
    -- page_view
    cast({{ json_text('properties', 'path') }} as {{ dbt.type_string() }}) as path,
    -- feature_use
    cast({{ json_text('properties', 'feature') }} as {{ dbt.type_string() }}) as feature,
    -- add_to_cart
    cast({{ json_text('properties', 'product_id') }} as {{ dbt.type_bigint() }}) as product_id,
    cast({{ json_text('properties', 'quantity') }} as {{ dbt.type_int() }}) as quantity,
    -- checkout: the amount is a decimal string in the event, never a float
    cast({{ json_text('properties', 'order_id') }} as {{ dbt.type_bigint() }}) as order_id,
    cast({{ json_text('properties', 'amount') }} as numeric(12,2)) as amount,
    -- experiment_exposure
    cast({{ json_text('properties', 'experiment_key') }} as {{ dbt.type_string() }}) as experiment_key,
    cast({{ json_text('properties', 'variant_key') }} as {{ dbt.type_string() }}) as variant_key,
    -- sign_up
    cast({{ json_text('properties', 'acquisition_channel') }} as {{ dbt.type_string() }}) as acquisition_channel,
    -- session_start
    cast({{ json_text('properties', 'referrer') }} as {{ dbt.type_string() }}) as referrer,
    cast({{ json_text('properties', 'utm_channel') }} as {{ dbt.type_string() }}) as utm_channel,
    cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
from latest
where load_rank = 1
