-- Registered customers of the platform. PII (name, e-mail, phone) exists only in raw; staging exposes salted hashes.
-- One row per customer_id: the latest version by updated_at (ties broken by load time).
-- PII (full_name, email, phone) is replaced here by salted hashes: raw PII never leaves staging.
with source as (

    select * from {{ source('oltp', 'customers') }}

),

latest as (

    select
        *,
        row_number() over (
            partition by customer_id
            order by updated_at desc, _loaded_at desc
        ) as version_rank
    from source

)

select
    cast(customer_id as {{ dbt.type_bigint() }}) as customer_id,
    {{ hash_pii('full_name') }} as full_name_hash,
    {{ hash_pii('email') }} as email_hash,
    {{ hash_pii('phone') }} as phone_hash,
    cast(city as {{ dbt.type_string() }}) as city,
    cast(region as {{ dbt.type_string() }}) as region,
    cast(acquisition_channel as {{ dbt.type_string() }}) as acquisition_channel,
    cast(partner_id as {{ dbt.type_bigint() }}) as partner_id,
    cast(signed_up_at as {{ dbt.type_timestamp() }}) as signed_up_at,
    cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
    cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
    cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
from latest
where version_rank = 1
