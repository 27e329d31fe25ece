-- Payment attempts for orders or invoices; failed attempts carry a reason and may be retried.
-- One row per payment_id: the latest version by updated_at (ties broken by load time).
with source as (

    select * from {{ source('oltp', 'payments') }}

),

latest as (

    select
        *,
        row_number() over (
            partition by payment_id
            order by updated_at desc, _loaded_at desc
        ) as version_rank
    from source

)

select
    cast(payment_id as {{ dbt.type_bigint() }}) as payment_id,
    cast(customer_id as {{ dbt.type_bigint() }}) as customer_id,
    cast(order_id as {{ dbt.type_bigint() }}) as order_id,
    cast(invoice_id as {{ dbt.type_bigint() }}) as invoice_id,
    cast(amount as numeric(12,2)) as amount,
    cast(currency as {{ dbt.type_string() }}) as currency,
    cast(payment_method as {{ dbt.type_string() }}) as payment_method,
    cast(payment_status as {{ dbt.type_string() }}) as payment_status,
    cast(failure_reason as {{ dbt.type_string() }}) as failure_reason,
    cast(attempt_number as {{ dbt.type_int() }}) as attempt_number,
    cast(attempted_at as {{ dbt.type_timestamp() }}) as attempted_at,
    cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
    cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
    cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
from latest
where version_rank = 1
