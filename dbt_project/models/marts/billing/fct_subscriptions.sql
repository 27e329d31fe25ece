{{ config(materialized='table') }}
{#-
  One row per subscription with its plan's billing mode, current status and MRR.
  has_trial: the subscription started with a free trial (trial_ends_at set, i.e. the plan had
  trial_days > 0); is_trialing: it is in that trial now. mrr_amount is the current MRR from the
  source (0 when not active); arr_amount = 12 x mrr_amount.
-#}

with subscriptions as (
    select * from {{ ref('stg_oltp__subscriptions') }}
),

plans as (
    select * from {{ ref('stg_oltp__subscription_plans') }}
),

changes as (
    select
        subscription_id,
        count(*) as change_count,
        sum(case when change_type = 'reactivate' then 1 else 0 end) as reactivation_count,
        max(new_mrr_amount) as peak_mrr_amount
    from {{ ref('stg_oltp__subscription_changes') }}
    group by 1
)

select
    cast(subscriptions.subscription_id as bigint) as subscription_id,
    cast(subscriptions.customer_id as bigint) as customer_id,
    cast(subscriptions.plan_id as bigint) as plan_id,
    cast(plans.plan_code as text) as plan_code,
    cast(plans.plan_tier as text) as plan_tier,
    cast(plans.billing_mode as text) as billing_mode,
    cast(subscriptions.subscription_status as text) as subscription_status,
    cast(subscriptions.subscription_status in ('active', 'past_due') as boolean) as is_paying,
    cast(subscriptions.trial_ends_at is not null as boolean) as has_trial,
    cast(subscriptions.subscription_status = 'trialing' as boolean) as is_trialing,
    cast(subscriptions.subscription_status in ('cancelled', 'expired') as boolean) as is_ended,
    cast(subscriptions.seats as integer) as seats,
    {{ dbtb_money('subscriptions.mrr_amount') }} as mrr_amount,
    {{ dbtb_money('subscriptions.mrr_amount * 12') }} as arr_amount,
    {{ dbtb_money('coalesce(changes.peak_mrr_amount, 0)') }} as peak_mrr_amount,
    cast(coalesce(changes.change_count, 0) as integer) as change_count,
    cast(coalesce(changes.reactivation_count, 0) as integer) as reactivation_count,
    cast(subscriptions.started_at as timestamp) as started_at,
    cast(subscriptions.started_at as date) as started_date,
    cast(subscriptions.trial_ends_at as timestamp) as trial_ends_at,
    cast(subscriptions.cancelled_at as timestamp) as cancelled_at
from subscriptions
inner join plans on plans.plan_id = subscriptions.plan_id
left join changes on changes.subscription_id = subscriptions.subscription_id
