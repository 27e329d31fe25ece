-- Conformed customer dimension: hashed PII only, acquisition, activation and subscription state.
-- Churn follows the platform definition (see int_customer_subscription_status).
-- Behavioural scores (RFM, churn risk) live in their own marts, not here.
with customers as (

    select * from {{ ref('stg_oltp__customers') }}

),

orders_summary as (

    select * from {{ ref('int_customer_orders_summary') }}

),

subscription_status as (

    select * from {{ ref('int_customer_subscription_status') }}

),

plans as (

    select * from {{ ref('stg_oltp__subscription_plans') }}

)

select
    customers.customer_id,
    customers.full_name_hash,
    customers.email_hash,
    customers.phone_hash,
    customers.city,
    customers.region,
    customers.acquisition_channel,
    customers.partner_id,
    customers.partner_id is not null as is_partner_referred,
    customers.signed_up_at,
    {{ to_date('customers.signed_up_at') }} as signup_date,
    orders_summary.first_order_at,
    orders_summary.first_paid_at as activated_at,
    orders_summary.first_paid_at is not null as is_activated,
    coalesce(
        orders_summary.first_paid_at <= {{ dbt.dateadd('day', 30, 'customers.signed_up_at') }},
        false
    ) as is_activated_within_30d,
    subscription_status.current_subscription_id,
    subscription_status.current_plan_id,
    plans.plan_tier as current_plan_tier,
    plans.billing_mode as current_billing_mode,
    subscription_status.current_subscription_status as subscription_status,
    coalesce(subscription_status.current_mrr_amount, cast(0 as numeric(18,2))) as current_mrr_amount,
    subscription_status.first_subscription_started_at,
    subscription_status.customer_id is not null as is_subscriber,
    coalesce(subscription_status.has_live_subscription, false) as has_live_subscription,
    coalesce(subscription_status.is_churned, false) as is_churned,
    subscription_status.churn_type,
    subscription_status.churned_at,
    customers.created_at,
    customers.updated_at
from customers
left join orders_summary
    on customers.customer_id = orders_summary.customer_id
left join subscription_status
    on customers.customer_id = subscription_status.customer_id
left join plans
    on subscription_status.current_plan_id = plans.plan_id
