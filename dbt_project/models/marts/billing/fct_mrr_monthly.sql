{{ config(materialized='table') }}
{#-
  Monthly MRR roll-forward per subscription, built only from subscription_changes
  (int_billing__mrr_movements). For every row:
      opening_mrr + new_mrr + expansion_mrr + contraction_mrr + churned_mrr + reactivation_mrr
    = closing_mrr                                   (contraction and churn are <= 0)
  and a subscription's closing_mrr is its next month's opening_mrr.
  closing_mrr = MRR after the last change effective before the month ends (carried forward through
  months without changes). Months run from the subscription's first change to the reporting month:
  the month of the latest billing timestamp (subscription change or subscription update), or
  var('mrr_last_month') if set. Months where a subscription has zero opening and closing MRR and no
  movement are omitted (it is neither active nor moving).
-#}

with movements as (
    select * from {{ ref('int_billing__mrr_movements') }}
),

subscription_updates as (
    select max(updated_at) as last_updated_at from {{ ref('stg_oltp__subscriptions') }}
),

bounds as (
    select
        min(movements.movement_month) as first_month,
        {%- if var('mrr_last_month', none) %}
        cast('{{ var("mrr_last_month") }}' as date) as last_month
        {%- else %}
        greatest(
            max(movements.movement_month),
            coalesce(max({{ dbtb_month_start('subscription_updates.last_updated_at') }}), max(movements.movement_month))
        ) as last_month
        {%- endif %}
    from movements
    cross join subscription_updates
),

months as (
    {{ dbtb_period_spine('month', 'bounds', 'first_month', 'last_month', 1200) }}
),

subscription_spans as (
    select subscription_id, max(customer_id) as customer_id, min(movement_month) as first_month
    from movements
    group by 1
),

grid as (
    select subscription_spans.subscription_id, subscription_spans.customer_id, months.period_start as month_start
    from subscription_spans
    inner join months on months.period_start >= subscription_spans.first_month
),

last_change_in_month as (
    select subscription_id, movement_month, new_mrr_amount as month_end_mrr
    from (
        select
            *,
            row_number() over (
                partition by subscription_id, movement_month order by effective_at desc, change_id desc
            ) as recency_rank
        from movements
    ) as ranked
    where recency_rank = 1
),

last_plan_in_month as (
    select subscription_id, movement_month, new_plan_id as month_end_plan_id
    from (
        select
            *,
            row_number() over (
                partition by subscription_id, movement_month order by effective_at desc, change_id desc
            ) as recency_rank
        from movements
        where new_plan_id is not null
    ) as ranked
    where recency_rank = 1
),

monthly_movements as (
    select
        subscription_id,
        movement_month,
        sum(case when movement_type = 'new' then mrr_delta else 0 end) as new_mrr,
        sum(case when movement_type = 'expansion' then mrr_delta else 0 end) as expansion_mrr,
        sum(case when movement_type = 'contraction' then mrr_delta else 0 end) as contraction_mrr,
        sum(case when movement_type = 'churn' then mrr_delta else 0 end) as churned_mrr,
        sum(case when movement_type = 'reactivation' then mrr_delta else 0 end) as reactivation_mrr,
        sum(case when movement_type <> 'none' then 1 else 0 end) as movement_count
    from movements
    group by 1, 2
),

filled as (
    select
        grid.*,
        last_change_in_month.month_end_mrr,
        last_plan_in_month.month_end_plan_id,
        count(last_change_in_month.month_end_mrr) over (
            partition by grid.subscription_id order by grid.month_start rows between unbounded preceding and current row
        ) as state_group,
        count(last_plan_in_month.month_end_plan_id) over (
            partition by grid.subscription_id order by grid.month_start rows between unbounded preceding and current row
        ) as plan_group
    from grid
    left join last_change_in_month
        on last_change_in_month.subscription_id = grid.subscription_id
        and last_change_in_month.movement_month = grid.month_start
    left join last_plan_in_month
        on last_plan_in_month.subscription_id = grid.subscription_id
        and last_plan_in_month.movement_month = grid.month_start
),

closing as (
    select
        subscription_id,
        customer_id,
        month_start,
        max(month_end_mrr) over (partition by subscription_id, state_group) as closing_mrr,
        max(month_end_plan_id) over (partition by subscription_id, plan_group) as plan_id
    from filled
),

rolled as (
    select
        closing.*,
        coalesce(
            lag(closing.closing_mrr) over (partition by closing.subscription_id order by closing.month_start),
            0
        ) as opening_mrr,
        coalesce(monthly_movements.new_mrr, 0) as new_mrr,
        coalesce(monthly_movements.expansion_mrr, 0) as expansion_mrr,
        coalesce(monthly_movements.contraction_mrr, 0) as contraction_mrr,
        coalesce(monthly_movements.churned_mrr, 0) as churned_mrr,
        coalesce(monthly_movements.reactivation_mrr, 0) as reactivation_mrr,
        coalesce(monthly_movements.movement_count, 0) as movement_count
    from closing
    left join monthly_movements
        on monthly_movements.subscription_id = closing.subscription_id
        and monthly_movements.movement_month = closing.month_start
)

select
    cast(cast(rolled.subscription_id as text) || ':' || cast(rolled.month_start as text) as text) as subscription_month_id,
    cast(rolled.month_start as date) as month_start,
    cast(rolled.subscription_id as bigint) as subscription_id,
    cast(rolled.customer_id as bigint) as customer_id,
    cast(coalesce(rolled.plan_id, subscriptions.plan_id) as bigint) as plan_id,
    cast(plans.billing_mode as text) as billing_mode,
    {{ dbtb_money('rolled.opening_mrr') }} as opening_mrr,
    {{ dbtb_money('rolled.new_mrr') }} as new_mrr,
    {{ dbtb_money('rolled.expansion_mrr') }} as expansion_mrr,
    {{ dbtb_money('rolled.contraction_mrr') }} as contraction_mrr,
    {{ dbtb_money('rolled.churned_mrr') }} as churned_mrr,
    {{ dbtb_money('rolled.reactivation_mrr') }} as reactivation_mrr,
    {{ dbtb_money('rolled.closing_mrr') }} as closing_mrr,
    {{ dbtb_money('rolled.closing_mrr - rolled.opening_mrr') }} as net_change_mrr,
    {{ dbtb_money('rolled.closing_mrr * 12') }} as closing_arr,
    cast(rolled.opening_mrr > 0 as boolean) as is_active_at_open,
    cast(rolled.closing_mrr > 0 as boolean) as is_active_at_close,
    cast(rolled.new_mrr > 0 as boolean) as is_new,
    cast(rolled.churned_mrr < 0 as boolean) as has_churn,
    cast(rolled.reactivation_mrr > 0 as boolean) as is_reactivated,
    cast(rolled.movement_count as integer) as movement_count
from rolled
left join {{ ref('stg_oltp__subscriptions') }} as subscriptions
    on subscriptions.subscription_id = rolled.subscription_id
left join {{ ref('stg_oltp__subscription_plans') }} as plans
    on plans.plan_id = coalesce(rolled.plan_id, subscriptions.plan_id)
where rolled.opening_mrr <> 0 or rolled.closing_mrr <> 0 or rolled.movement_count > 0
