{{ config(materialized='table') }}
{#-
  Commission ledger: one row per partner x calendar month x commission rule, for every month of
  the rule's validity that overlaps the data (zero rows included, so every period is explicit).
  Only events dated within the rule's validity [valid_from, valid_to] (inclusive; open-ended when
  valid_to is null) count, including in a month the rule only partly covers.

    percentage    base = referred customers' paid order revenue in the period;
                  commission = round_half_up(rate x base, 2)
    tiered        base as for percentage; the tier with the highest min_revenue_amount <= base
                  sets the rate, applied to ALL of the base; no qualifying tier -> 0
    flat_bounty   base_quantity = referred customers whose first paid order falls in the period;
                  commission = bounty_amount x base_quantity
    recurring     base = referred customers' succeeded subscription-invoice payments in the period
                  made before signed_up_at + recurring_months months;
                  commission = round_half_up(rate x base, 2)

  All arithmetic is exact numeric; rounding is once per ledger row (half-up to cents).
  tests/dbt/test_commission_reconciliation.py recomputes this independently in Python Decimal.
-#}

with rules as (
    select
        rule_id,
        partner_id,
        rule_type,
        rate,
        bounty_amount,
        recurring_months,
        valid_from,
        valid_to,
        coalesce(valid_to, cast('9999-12-31' as date)) as valid_until
    from {{ ref('stg_oltp__commission_rules') }}
),

tiers as (
    select tier_id, rule_id, min_revenue_amount, rate from {{ ref('stg_oltp__commission_rule_tiers') }}
),

events as (
    select * from {{ ref('int_partners__commission_events') }}
),

paid_orders as (
    select ordered_at from {{ ref('int_marketing__paid_orders') }}
),

data_months as (
    select event_month as month_start from events
    union all
    select {{ dbtb_month_start('ordered_at') }} from paid_orders
),

bounds as (
    select min(month_start) as first_month, max(month_start) as last_month from data_months
),

months as (
    {{ dbtb_period_spine('month', 'bounds', 'first_month', 'last_month', 1200) }}
),

rule_periods as (
    select rules.*, months.period_start as period_month
    from rules
    inner join months
        on months.period_start >= {{ dbtb_month_start('rules.valid_from') }}
        and months.period_start <= {{ dbtb_month_start('rules.valid_until') }}
),

qualifying_events as (
    select
        rule_periods.rule_id,
        rule_periods.period_month,
        events.event_type,
        events.customer_id,
        events.amount
    from rule_periods
    inner join events
        on events.partner_id = rule_periods.partner_id
        and events.event_month = rule_periods.period_month
        and events.event_date >= rule_periods.valid_from
        and events.event_date <= rule_periods.valid_until
        and (
            (rule_periods.rule_type in ('percentage', 'tiered') and events.event_type = 'order_revenue')
            or (rule_periods.rule_type = 'flat_bounty' and events.event_type = 'first_order')
            or (
                rule_periods.rule_type = 'recurring'
                and events.event_type = 'subscription_payment'
                and events.event_at < {{ dbt.dateadd('month', 'rule_periods.recurring_months', 'events.signed_up_at') }}
            )
        )
),

bases as (
    select
        rule_id,
        period_month,
        sum(amount) as base_amount,
        count(*) as base_quantity
    from qualifying_events
    group by 1, 2
),

periods_with_base as (
    select
        rule_periods.*,
        coalesce(bases.base_amount, 0) as base_amount,
        coalesce(bases.base_quantity, 0) as base_quantity
    from rule_periods
    left join bases
        on bases.rule_id = rule_periods.rule_id and bases.period_month = rule_periods.period_month
),

chosen_tiers as (
    select rule_id, period_month, tier_id, tier_rate
    from (
        select
            periods_with_base.rule_id,
            periods_with_base.period_month,
            tiers.tier_id,
            tiers.rate as tier_rate,
            row_number() over (
                partition by periods_with_base.rule_id, periods_with_base.period_month
                order by tiers.min_revenue_amount desc, tiers.tier_id desc
            ) as tier_rank
        from periods_with_base
        inner join tiers
            on tiers.rule_id = periods_with_base.rule_id
            and tiers.min_revenue_amount <= periods_with_base.base_amount
        where periods_with_base.rule_type = 'tiered'
    ) as ranked
    where tier_rank = 1
),

priced as (
    select
        periods_with_base.*,
        chosen_tiers.tier_id,
        case
            when periods_with_base.rule_type in ('percentage', 'recurring') then periods_with_base.rate
            when periods_with_base.rule_type = 'tiered' then coalesce(chosen_tiers.tier_rate, 0)
        end as applied_rate
    from periods_with_base
    left join chosen_tiers
        on chosen_tiers.rule_id = periods_with_base.rule_id
        and chosen_tiers.period_month = periods_with_base.period_month
),

commissioned as (
    select
        *,
        case
            when rule_type = 'flat_bounty' then coalesce(bounty_amount, 0) * base_quantity
            else round(base_amount * coalesce(applied_rate, 0), 2)
        end as commission_amount
    from priced
)

select
    cast(cast(rule_id as text) || ':' || cast(period_month as text) as text) as ledger_id,
    cast(partner_id as bigint) as partner_id,
    cast(rule_id as bigint) as rule_id,
    cast(rule_type as text) as rule_type,
    cast(period_month as date) as period_month,
    cast(case when valid_from > period_month then valid_from else period_month end as date) as period_start,
    cast(
        case
            when valid_until < cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'period_month')) }} as date)
                then valid_until
            else cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'period_month')) }} as date)
        end
    as date) as period_end,
    cast(tier_id as bigint) as tier_id,
    cast(applied_rate as numeric(18, 4)) as applied_rate,
    {{ dbtb_money('bounty_amount') }} as bounty_amount,
    cast(recurring_months as integer) as recurring_months,
    cast(base_quantity as bigint) as base_quantity,
    {{ dbtb_money('base_amount') }} as base_amount,
    {{ dbtb_money('commission_amount') }} as commission_amount
from commissioned
