-- Subscription state per customer (customers that ever had a subscription): the current
-- (most recently started) subscription, whether any subscription is still live, and churn.
-- Churn (the platform's definition): no subscription is live any more and the current one was
-- cancelled (churned_at = cancellation) or was a free trial that ended without converting
-- (status 'expired', churned_at = trial end). A reactivated subscription is live again: not churned.
with subscriptions as (

    select * from {{ ref('stg_oltp__subscriptions') }}

),

changes as (

    select * from {{ ref('stg_oltp__subscription_changes') }}

),

ranked as (

    select
        subscriptions.*,
        row_number() over (
            partition by customer_id
            order by started_at desc, subscription_id desc
        ) as recency_rank
    from subscriptions

),

per_customer as (

    select
        customer_id,
        min(started_at) as first_subscription_started_at,
        count(*) as subscriptions_count,
        sum(case when subscription_status in ('trialing', 'active', 'past_due') then 1 else 0 end) as live_subscriptions,
        sum(case when subscription_status in ('active', 'past_due') then mrr_amount else 0 end) as current_mrr_amount,
        max(cancelled_at) as last_cancelled_at
    from subscriptions
    group by customer_id

),

change_summary as (

    select
        customer_id,
        max(case when new_mrr_amount > 0 then 1 else 0 end) = 1 as has_paid,
        max(case when change_type = 'cancel' then effective_at end) as last_cancel_effective_at
    from changes
    group by customer_id

)

select
    per_customer.customer_id,
    current_sub.subscription_id as current_subscription_id,
    current_sub.plan_id as current_plan_id,
    current_sub.subscription_status as current_subscription_status,
    current_sub.seats as current_seats,
    cast(per_customer.current_mrr_amount as numeric(18,2)) as current_mrr_amount,
    per_customer.first_subscription_started_at,
    per_customer.subscriptions_count,
    per_customer.live_subscriptions > 0 as has_live_subscription,
    coalesce(change_summary.has_paid, false) as has_paid_subscription,
    cast(case
        when per_customer.live_subscriptions > 0 then null
        when current_sub.subscription_status = 'cancelled' then 'cancelled'
        when current_sub.subscription_status = 'expired' then 'trial_expired'
    end as {{ dbt.type_string() }}) as churn_type,
    (
        per_customer.live_subscriptions = 0
        and current_sub.subscription_status in ('cancelled', 'expired')
    ) as is_churned,
    case
        when per_customer.live_subscriptions > 0 then null
        when current_sub.subscription_status = 'cancelled'
            then coalesce(current_sub.cancelled_at, change_summary.last_cancel_effective_at)
        when current_sub.subscription_status = 'expired'
            then coalesce(current_sub.trial_ends_at, current_sub.updated_at)
    end as churned_at
from per_customer
inner join ranked as current_sub
    on per_customer.customer_id = current_sub.customer_id
    and current_sub.recency_rank = 1
left join change_summary
    on per_customer.customer_id = change_summary.customer_id
