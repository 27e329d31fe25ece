-- Subscription invoices per billing period.
-- One row per invoice_id: the latest version by updated_at (ties broken by load time).
with source as (

    select * from {{ source('oltp', 'invoices') }}

),

latest as (

    select
        *,
        row_number() over (
            partition by invoice_id
            order by updated_at desc, _loaded_at desc
        ) as version_rank
    from source

)

select
    cast(invoice_id as {{ dbt.type_bigint() }}) as invoice_id,
    cast(subscription_id as {{ dbt.type_bigint() }}) as subscription_id,
    cast(customer_id as {{ dbt.type_bigint() }}) as customer_id,
    cast(period_start as date) as period_start,
    cast(period_end as date) as period_end,
    cast(subtotal_amount as numeric(12,2)) as subtotal_amount,
    cast(discount_amount as numeric(12,2)) as discount_amount,
    cast(amount_due as numeric(12,2)) as amount_due,
    cast(invoice_status as {{ dbt.type_string() }}) as invoice_status,
    cast(issued_at as {{ dbt.type_timestamp() }}) as issued_at,
    cast(paid_at as {{ dbt.type_timestamp() }}) as paid_at,
    cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
    cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
    cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
from latest
where version_rank = 1
