{{ config(materialized='table') }}
{#-
  Payment health per day (every day between the first and last attempt, zeros included).
  success_rate = successful attempts / attempts (all attempts, retries included).
  Failure reasons: failed attempts of the day per reason.
  Retry recovery is measured on the cohort of payables whose FIRST attempt failed that day:
  retry_recovery_rate = those later paid by a successful retry (any later day) / those failed.
-#}

with payments as (
    select * from {{ ref('fct_payments') }}
),

payables as (
    select
        payable_key,
        min(case when attempt_number = 1 then attempted_date end) as first_attempt_date,
        max(case when attempt_number = 1 and not is_success then 1 else 0 end) as first_attempt_failed,
        max(case when is_recovered_by_retry then 1 else 0 end) as recovered_by_retry
    from payments
    group by 1
),

cohorts as (
    select
        first_attempt_date as activity_date,
        sum(first_attempt_failed) as failed_first_attempts,
        sum(case when first_attempt_failed = 1 and recovered_by_retry = 1 then 1 else 0 end) as recovered_payables
    from payables
    where first_attempt_date is not null
    group by 1
),

daily as (
    select
        attempted_date as activity_date,
        count(*) as attempts,
        sum(case when is_success then 1 else 0 end) as successful_attempts,
        sum(case when not is_success then 1 else 0 end) as failed_attempts,
        sum(case when is_retry then 1 else 0 end) as retry_attempts,
        sum(case when is_recovered_by_retry then 1 else 0 end) as successful_retries,
        {%- for reason in ['insufficient_funds', 'card_expired', 'bank_declined', 'network_timeout', 'fraud_suspected'] %}
        sum(case when not is_success and failure_reason = '{{ reason }}' then 1 else 0 end) as failed_{{ reason }},
        {%- endfor %}
        sum(case when not is_success and (failure_reason is null or failure_reason not in (
            'insufficient_funds', 'card_expired', 'bank_declined', 'network_timeout', 'fraud_suspected'
        )) then 1 else 0 end) as failed_other,
        sum(case when is_success then amount else 0 end) as collected_amount,
        sum(case when is_recovered_by_retry then amount else 0 end) as recovered_amount
    from payments
    group by 1
),

bounds as (
    select min(activity_date) as first_date, max(activity_date) as last_date from daily
),

calendar as (
    {{ dbtb_period_spine('day', 'bounds', 'first_date', 'last_date') }}
),

joined as (
    select
        calendar.period_start as activity_date,
        coalesce(daily.attempts, 0) as attempts,
        coalesce(daily.successful_attempts, 0) as successful_attempts,
        coalesce(daily.failed_attempts, 0) as failed_attempts,
        coalesce(daily.retry_attempts, 0) as retry_attempts,
        coalesce(daily.successful_retries, 0) as successful_retries,
        {%- for reason in ['insufficient_funds', 'card_expired', 'bank_declined', 'network_timeout', 'fraud_suspected', 'other'] %}
        coalesce(daily.failed_{{ reason }}, 0) as failed_{{ reason }},
        {%- endfor %}
        coalesce(daily.collected_amount, 0) as collected_amount,
        coalesce(daily.recovered_amount, 0) as recovered_amount,
        coalesce(cohorts.failed_first_attempts, 0) as failed_first_attempts,
        coalesce(cohorts.recovered_payables, 0) as recovered_payables
    from calendar
    left join daily on daily.activity_date = calendar.period_start
    left join cohorts on cohorts.activity_date = calendar.period_start
)

select
    cast(activity_date as date) as activity_date,
    cast(attempts as bigint) as attempts,
    cast(successful_attempts as bigint) as successful_attempts,
    cast(failed_attempts as bigint) as failed_attempts,
    cast(retry_attempts as bigint) as retry_attempts,
    cast(successful_retries as bigint) as successful_retries,
    {%- for reason in ['insufficient_funds', 'card_expired', 'bank_declined', 'network_timeout', 'fraud_suspected', 'other'] %}
    cast(failed_{{ reason }} as bigint) as failed_{{ reason }},
    {%- endfor %}
    cast(failed_first_attempts as bigint) as failed_first_attempts,
    cast(recovered_payables as bigint) as recovered_payables,
    {{ dbtb_money('collected_amount') }} as collected_amount,
    {{ dbtb_money('recovered_amount') }} as recovered_amount,
    cast({{ dbtb_safe_ratio('successful_attempts', 'attempts') }} as double precision) as success_rate,
    cast({{ dbtb_safe_ratio('recovered_payables', 'failed_first_attempts') }} as double precision) as retry_recovery_rate
from joined
