-- Conformed subscription-plan dimension.
select
    plan_id,
    plan_code,
    plan_name,
    plan_tier,
    billing_mode,
    cast(list_price as numeric(18,2)) as list_price,
    trial_days,
    trial_days > 0 as has_free_trial
from {{ ref('stg_oltp__subscription_plans') }}
