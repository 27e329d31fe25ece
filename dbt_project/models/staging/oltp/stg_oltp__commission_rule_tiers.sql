-- Revenue tiers and rates of tiered commission rules.
-- One row per tier_id: the latest version by updated_at (ties broken by load time).
with source as (

    select * from {{ source('oltp', 'commission_rule_tiers') }}

),

latest as (

    select
        *,
        row_number() over (
            partition by tier_id
            order by updated_at desc, _loaded_at desc
        ) as version_rank
    from source

)

select
    cast(tier_id as {{ dbt.type_bigint() }}) as tier_id,
    cast(rule_id as {{ dbt.type_bigint() }}) as rule_id,
    cast(min_revenue_amount as numeric(12,2)) as min_revenue_amount,
    cast(rate as numeric(8,4)) as rate,
    cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
    cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
    cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
from latest
where version_rank = 1
