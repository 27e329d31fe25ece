{{ config(materialized='table') }}
{#-
  One row per campaign (every campaign, including ones with no activity yet), lifetime totals.
  Same measure definitions as fct_marketing_channel_daily, except acquisition: a campaign acquires a
  customer when the customer's FIRST paid order is last-touch attributed to the campaign
  (customers carry only a channel, not a campaign, as acquisition source).
-#}

with campaigns as (
    select * from {{ ref('stg_oltp__campaigns') }}
),

touches as (
    select
        campaign_id,
        count(distinct case when touch_type = 'send' then customer_id end) as reach,
        sum(case when touch_type = 'send' then 1 else 0 end) as sends,
        sum(case when touch_type = 'open' then 1 else 0 end) as opens,
        sum(case when touch_type = 'click' then 1 else 0 end) as clicks
    from {{ ref('stg_oltp__marketing_touches') }}
    group by 1
),

last_touch as (
    select attribution.campaign_id, attribution.order_id, attribution.attributed_revenue,
           paid_orders.customer_order_number
    from {{ ref('fct_attribution') }} as attribution
    inner join {{ ref('int_marketing__paid_orders') }} as paid_orders
        on paid_orders.order_id = attribution.order_id
    where attribution.attribution_model = 'last_touch'
      and attribution.is_remainder_touch
),

conversions as (
    select
        campaign_id,
        count(distinct order_id) as conversions,
        sum(attributed_revenue) as attributed_revenue,
        sum(case when customer_order_number = 1 then 1 else 0 end) as acquired_customers
    from last_touch
    group by 1
),

spend as (
    select campaign_id, sum(spend_amount) as spend_amount, sum(impressions) as impressions
    from {{ ref('stg_oltp__marketing_spend') }}
    group by 1
),

joined as (
    select
        campaigns.campaign_id,
        campaigns.campaign_name,
        campaigns.channel_code,
        campaigns.objective,
        campaigns.target_segment,
        campaigns.starts_on,
        campaigns.ends_on,
        campaigns.budget_amount,
        coalesce(touches.reach, 0) as reach,
        coalesce(touches.sends, 0) as sends,
        coalesce(touches.opens, 0) as opens,
        coalesce(touches.clicks, 0) as clicks,
        coalesce(conversions.conversions, 0) as conversions,
        coalesce(conversions.acquired_customers, 0) as acquired_customers,
        coalesce(conversions.attributed_revenue, 0) as attributed_revenue,
        coalesce(spend.spend_amount, 0) as spend_amount,
        coalesce(spend.impressions, 0) as impressions
    from campaigns
    left join touches on touches.campaign_id = campaigns.campaign_id
    left join conversions on conversions.campaign_id = campaigns.campaign_id
    left join spend on spend.campaign_id = campaigns.campaign_id
)

select
    cast(campaign_id as bigint) as campaign_id,
    cast(campaign_name as text) as campaign_name,
    cast(channel_code as text) as channel_code,
    cast(objective as text) as objective,
    cast(target_segment as text) as target_segment,
    cast(starts_on as date) as starts_on,
    cast(ends_on as date) as ends_on,
    {{ dbtb_money('budget_amount') }} as budget_amount,
    cast(reach as bigint) as reach,
    cast(sends as bigint) as sends,
    cast(opens as bigint) as opens,
    cast(clicks as bigint) as clicks,
    cast(conversions as bigint) as conversions,
    cast(acquired_customers as bigint) as acquired_customers,
    cast(impressions as bigint) as impressions,
    {{ dbtb_money('attributed_revenue') }} as attributed_revenue,
    {{ dbtb_money('spend_amount') }} as spend_amount,
    cast({{ dbtb_safe_ratio('opens', 'sends') }} as double precision) as open_rate,
    cast({{ dbtb_safe_ratio('clicks', 'sends') }} as double precision) as click_rate,
    cast({{ dbtb_safe_ratio('conversions', 'reach') }} as double precision) as conversion_rate,
    {{ dbtb_money_per('spend_amount', 'acquired_customers') }} as cac,
    cast({{ dbtb_safe_ratio('attributed_revenue', 'spend_amount') }} as double precision) as roas,
    cast({{ dbtb_safe_ratio('attributed_revenue - spend_amount', 'spend_amount') }} as double precision) as roi,
    cast({{ dbtb_safe_ratio('spend_amount', 'budget_amount') }} as double precision) as budget_utilisation
from joined
