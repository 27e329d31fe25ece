{{ config(materialized='table') }}
{#-
  Attribution totals per marketing channel and attribution model, dense (every channel x every
  model, zeros where a channel earned no credit). For each model, attributed_revenue summed over
  channels equals the revenue of attributed orders exactly (inherited from fct_attribution).
-#}

with channels as (
    select channel_code from {{ ref('stg_oltp__marketing_channels') }}
),

attribution as (
    select * from {{ ref('fct_attribution') }}
),

models as (
    select 'first_touch' as attribution_model
    union all select 'last_touch'
    union all select 'linear'
    union all select 'time_decay'
    union all select 'position_based'
),

totals as (
    select
        channel_code,
        attribution_model,
        sum(attribution_weight) as attributed_conversions,
        sum(case when attribution_weight > 0 then 1 else 0 end) as credited_touches,
        count(distinct case when attribution_weight > 0 then order_id end) as credited_orders,
        sum(attributed_revenue) as attributed_revenue
    from attribution
    group by 1, 2
),

model_totals as (
    select attribution_model, sum(attributed_revenue) as model_revenue
    from attribution
    group by 1
)

select
    cast(channels.channel_code || ':' || models.attribution_model as text) as channel_model_id,
    cast(channels.channel_code as text) as channel_code,
    cast(models.attribution_model as text) as attribution_model,
    cast(coalesce(totals.attributed_conversions, 0) as double precision) as attributed_conversions,
    cast(coalesce(totals.credited_touches, 0) as bigint) as credited_touches,
    cast(coalesce(totals.credited_orders, 0) as bigint) as credited_orders,
    {{ dbtb_money('coalesce(totals.attributed_revenue, 0)') }} as attributed_revenue,
    cast({{ dbtb_safe_ratio('coalesce(totals.attributed_revenue, 0)', 'model_totals.model_revenue') }}
        as double precision) as revenue_share
from channels
cross join models
left join totals
    on totals.channel_code = channels.channel_code and totals.attribution_model = models.attribution_model
left join model_totals
    on model_totals.attribution_model = models.attribution_model
