-- End-of-day MRR and paying subscriptions, dense per day from the first subscription change to
-- the last day with subscription changes or orders. Built as running sums of the MRR changes
-- (subscription_changes holds every MRR change), so it agrees with the MRR bridge by construction.
with changes as (

    select
        {{ to_date('effective_at') }} as date_day,
        sum(new_mrr_amount - old_mrr_amount) as mrr_change_amount,
        sum(case
            when old_mrr_amount = 0 and new_mrr_amount > 0 then 1
            when old_mrr_amount > 0 and new_mrr_amount = 0 then -1
            else 0
        end) as paying_subscriptions_change
    from {{ ref('stg_oltp__subscription_changes') }}
    group by {{ to_date('effective_at') }}

),

bounds as (

    select
        min(date_day) as first_day,
        -- carry the position forward to the last day that has orders, if that is later
        greatest(max(date_day), coalesce((select {{ to_date('max(ordered_at)') }} from {{ ref('stg_oltp__orders') }}), max(date_day))) as last_day
    from changes

),

days as (

    select dates.date_day
    from {{ ref('dim_date') }} as dates
    cross join bounds
    where dates.date_day >= bounds.first_day
        and dates.date_day <= bounds.last_day

)

select
    days.date_day,
    cast(coalesce(changes.mrr_change_amount, 0) as numeric(18,2)) as mrr_change_amount,
    cast(sum(coalesce(changes.mrr_change_amount, 0)) over (
        order by days.date_day rows between unbounded preceding and current row
    ) as numeric(18,2)) as mrr_amount,
    cast(sum(coalesce(changes.paying_subscriptions_change, 0)) over (
        order by days.date_day rows between unbounded preceding and current row
    ) as integer) as paying_subscriptions
from days
left join changes
    on days.date_day = changes.date_day
