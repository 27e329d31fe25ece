{{ config(materialized='table') }}
{#-
  Multi-touch attribution: one row per attributed order x engaged touch x attribution model.

  Weights (sum to 1 per order and model):
    first_touch     1 on the oldest touch
    last_touch      1 on the newest touch
    linear          1/n on every touch
    time_decay      2^(-days_before_order / half_life) normalised; half life var('attribution_half_life_days', 7)
    position_based  40/20/40: 0.4 first, 0.4 last, 0.2 shared by the middle touches;
                    a 1-touch path gives 100 %, a 2-touch path 50/50.

  Exact money: each touch gets round(revenue x weight, 2) in numeric, except the designated
  remainder touch (the newest, touch_sequence = touch_count) which gets revenue minus the others'
  rounded shares. So for every order and model the attributed revenue sums exactly to the order's
  revenue, and over all orders exactly to the revenue of attributed orders.
-#}
{%- set half_life_days = var('attribution_half_life_days', 7) -%}

with paths as (
    select
        *,
        power(cast(0.5 as double precision), days_before_order / {{ half_life_days }}) as decay_factor
    from {{ ref('int_marketing__touchpoint_paths') }}
),

paths_with_decay_share as (
    select
        *,
        decay_factor / sum(decay_factor) over (partition by order_id) as decay_share
    from paths
),

attribution_models as (
    select 'first_touch' as attribution_model
    union all select 'last_touch'
    union all select 'linear'
    union all select 'time_decay'
    union all select 'position_based'
),

weighted as (
    select
        paths_with_decay_share.*,
        attribution_models.attribution_model,
        cast(
            case attribution_models.attribution_model
                when 'first_touch' then case when touch_sequence = 1 then 1 else 0 end
                when 'last_touch' then case when touch_sequence = touch_count then 1 else 0 end
                when 'linear' then cast(1 as double precision) / touch_count
                when 'time_decay' then decay_share
                when 'position_based' then
                    case
                        when touch_count = 1 then 1
                        when touch_count = 2 then 0.5
                        when touch_sequence = 1 or touch_sequence = touch_count then 0.4
                        else cast(0.2 as double precision) / (touch_count - 2)
                    end
            end
        as double precision) as attribution_weight
    from paths_with_decay_share
    cross join attribution_models
),

rounded as (
    select
        *,
        touch_sequence = touch_count as is_remainder_touch,
        round(revenue_amount * cast(attribution_weight as numeric(20, 12)), 2) as rounded_share
    from weighted
),

allocated as (
    select
        *,
        case
            when is_remainder_touch
                then revenue_amount
                    - (sum(rounded_share) over (partition by order_id, attribution_model) - rounded_share)
            else rounded_share
        end as allocated_revenue
    from rounded
)

select
    cast(attribution_model || ':' || cast(order_id as text) || ':' || cast(touch_id as text)
        as text) as attribution_id,
    cast(order_id as bigint) as order_id,
    cast(customer_id as bigint) as customer_id,
    cast(touch_id as bigint) as touch_id,
    cast(campaign_id as bigint) as campaign_id,
    cast(channel_code as text) as channel_code,
    cast(touch_type as text) as touch_type,
    cast(attribution_model as text) as attribution_model,
    cast(touched_at as timestamp) as touched_at,
    cast(ordered_at as timestamp) as ordered_at,
    cast(ordered_at as date) as order_date,
    cast(touch_sequence as integer) as touch_sequence,
    cast(touch_count as integer) as touch_count,
    cast(days_before_order as double precision) as days_before_order,
    cast(attribution_weight as double precision) as attribution_weight,
    cast(is_remainder_touch as boolean) as is_remainder_touch,
    cast(revenue_amount as numeric(18, 2)) as order_revenue,
    cast(allocated_revenue as numeric(18, 2)) as attributed_revenue
from allocated
