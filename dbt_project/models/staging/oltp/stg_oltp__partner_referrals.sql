-- Referrals made by partners, from click to sign-up to first paid order.
-- One row per referral_id: the latest version by updated_at (ties broken by load time).
with source as (

    select * from {{ source('oltp', 'partner_referrals') }}

),

latest as (

    select
        *,
        row_number() over (
            partition by referral_id
            order by updated_at desc, _loaded_at desc
        ) as version_rank
    from source

)

select
    cast(referral_id as {{ dbt.type_bigint() }}) as referral_id,
    cast(partner_id as {{ dbt.type_bigint() }}) as partner_id,
    cast(customer_id as {{ dbt.type_bigint() }}) as customer_id,
    cast(referral_status as {{ dbt.type_string() }}) as referral_status,
    cast(referred_at as {{ dbt.type_timestamp() }}) as referred_at,
    cast(converted_at as {{ dbt.type_timestamp() }}) as converted_at,
    cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
    cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
    cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
from latest
where version_rank = 1
