{{
    config(
        materialized='incremental',
        unique_key='payment_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns'
    )
}}
{#-
  One row per payment attempt (orders and subscription invoices). Append-mostly: an incremental
  run re-reads only attempts whose updated_at is at or after the latest one already loaded and
  replaces them by payment_id (delete+insert), so late in-place updates are still picked up.
  A payable is the order or invoice being paid; its attempts are numbered 1, 2, ... (retries > 1).
  is_recovered_by_retry: this attempt is a successful retry (attempt_number > 1), i.e. the revenue
  a failed first attempt would have lost was recovered.
-#}

with payments as (
    select * from {{ ref('stg_oltp__payments') }}
    {% if is_incremental() %}
    where updated_at >= (select max(updated_at) from {{ this }})
    {% endif %}
)

select
    cast(payment_id as bigint) as payment_id,
    cast(customer_id as bigint) as customer_id,
    cast(order_id as bigint) as order_id,
    cast(invoice_id as bigint) as invoice_id,
    cast(case when invoice_id is not null then 'invoice' else 'order' end as text) as payment_kind,
    cast(
        case
            when invoice_id is not null then 'invoice:' || cast(invoice_id as text)
            else 'order:' || cast(order_id as text)
        end
    as text) as payable_key,
    {{ dbtb_money('amount') }} as amount,
    cast(currency as text) as currency,
    cast(payment_method as text) as payment_method,
    cast(payment_status as text) as payment_status,
    cast(payment_status = 'succeeded' as boolean) as is_success,
    cast(failure_reason as text) as failure_reason,
    cast(attempt_number as integer) as attempt_number,
    cast(attempt_number - 1 as integer) as retry_number,
    cast(attempt_number > 1 as boolean) as is_retry,
    cast(payment_status = 'succeeded' and attempt_number > 1 as boolean) as is_recovered_by_retry,
    cast(attempted_at as timestamp) as attempted_at,
    cast(attempted_at as date) as attempted_date,
    cast(updated_at as timestamp) as updated_at
from payments
