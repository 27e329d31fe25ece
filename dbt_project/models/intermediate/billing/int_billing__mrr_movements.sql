{#-
  Every MRR-changing event of a subscription, classified into one MRR movement.

  The movement amount is new_mrr_amount minus the subscription's MRR just before the change
  (the previous change's new_mrr_amount, 0 before the first) — not the row's old_mrr_amount — so
  movements always chain: summed per month they equal closing minus opening MRR exactly, even if a
  source row's old_mrr_amount disagreed (a data test on stg flags that separately).
  Classification by the MRR before and after (the change_type is kept for reference):
    0 -> >0   new, or reactivation when the subscription had positive MRR at any earlier point
    >0 -> 0   churn
    up/down   expansion / contraction
  Events that do not move MRR (e.g. trial_start at 0) get movement 'none'.
-#}

with changes as (
    select
        change_id,
        subscription_id,
        customer_id,
        change_type,
        effective_at,
        new_plan_id,
        new_mrr_amount,
        coalesce(
            lag(new_mrr_amount) over (partition by subscription_id order by effective_at, change_id),
            0
        ) as previous_mrr_amount,
        coalesce(
            max(new_mrr_amount) over (
                partition by subscription_id order by effective_at, change_id
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) as earlier_peak_mrr_amount
    from {{ ref('stg_oltp__subscription_changes') }}
)

select
    change_id,
    subscription_id,
    customer_id,
    change_type,
    effective_at,
    new_plan_id,
    {{ dbtb_month_start('effective_at') }} as movement_month,
    cast(previous_mrr_amount as numeric(18, 2)) as previous_mrr_amount,
    cast(new_mrr_amount as numeric(18, 2)) as new_mrr_amount,
    cast(new_mrr_amount - previous_mrr_amount as numeric(18, 2)) as mrr_delta,
    case
        when new_mrr_amount = previous_mrr_amount then 'none'
        when previous_mrr_amount = 0 and earlier_peak_mrr_amount > 0 then 'reactivation'
        when previous_mrr_amount = 0 then 'new'
        when new_mrr_amount = 0 then 'churn'
        when new_mrr_amount > previous_mrr_amount then 'expansion'
        else 'contraction'
    end as movement_type
from changes
