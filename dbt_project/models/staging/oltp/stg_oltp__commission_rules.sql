-- Commission rules per partner (percentage, tiered, flat bounty, recurring) with their validity window.
-- One row per rule_id: the latest version by updated_at (ties broken by load time).
with source as (

    select * from {{ source('oltp', 'commission_rules') }}

),

latest as (

    select
        *,
        row_number() over (
            partition by rule_id
            order by updated_at desc, _loaded_at desc
        ) as version_rank
    from source

)

select
    cast(rule_id as {{ dbt.type_bigint() }}) as rule_id,
    cast(partner_id as {{ dbt.type_bigint() }}) as partner_id,
    cast(rule_type as {{ dbt.type_string() }}) as rule_type,
    cast(rate as numeric(8,4)) as rate,
    cast(bounty_amount as numeric(12,2)) as bounty_amount,
    cast(recurring_months as {{ dbt.type_int() }}) as recurring_months,
    cast(valid_from as date) as valid_from,
    cast(valid_to as date) as valid_to,
    cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
    cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
    cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
from latest
where version_rank = 1
