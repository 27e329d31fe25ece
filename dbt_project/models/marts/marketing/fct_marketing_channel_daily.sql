{{ config(materialized='table') }}
{#-
  Marketing performance per day and channel, dense: every one of the marketing channels appears on
  every day between the first and the last day of marketing activity (zeros, not missing rows).

  Definitions (see the YAML for each column):
    reach / sends / opens / clicks  from marketing_touches on touched_at's date
    conversions, attributed_revenue last-touch attribution (fct_attribution), on the order date
    acquired_customers              customers whose acquisition_channel is the channel, on sign-up date
    spend, impressions              marketing_spend on spend_date
    cac = spend / acquired_customers; roas = attributed_revenue / spend;
    roi = (attributed_revenue - spend) / spend
-#}

with channels as (
    select channel_code from {{ ref('stg_oltp__marketing_channels') }}
),

touches as (
    select
        cast(touched_at as date) as activity_date,
        channel_code,
        count(distinct case when touch_type = 'send' then customer_id end) as reach,
        sum(case when touch_type = 'send' then 1 else 0 end) as sends,
        sum(case when touch_type = 'open' then 1 else 0 end) as opens,
        sum(case when touch_type = 'click' then 1 else 0 end) as clicks
    from {{ ref('stg_oltp__marketing_touches') }}
    group by 1, 2
),

last_touch_conversions as (
    select
        order_date as activity_date,
        channel_code,
        count(distinct order_id) as conversions,
        sum(attributed_revenue) as attributed_revenue
    from {{ ref('fct_attribution') }}
    where attribution_model = 'last_touch'
      and is_remainder_touch
    group by 1, 2
),

acquisitions as (
    select
        cast(signed_up_at as date) as activity_date,
        acquisition_channel as channel_code,
        count(*) as acquired_customers
    from {{ ref('stg_oltp__customers') }}
    group by 1, 2
),

spend as (
    select
        spend_date as activity_date,
        channel_code,
        sum(spend_amount) as spend_amount,
        sum(impressions) as impressions
    from {{ ref('stg_oltp__marketing_spend') }}
    group by 1, 2
),

activity_dates as (
    select activity_date from touches
    union all select activity_date from last_touch_conversions
    union all select activity_date from spend
),

bounds as (
    select min(activity_date) as first_date, max(activity_date) as last_date from activity_dates
),

calendar as (
    {{ dbtb_period_spine('day', 'bounds', 'first_date', 'last_date') }}
),

grid as (
    select calendar.period_start as activity_date, channels.channel_code
    from calendar
    cross join channels
),

joined as (
    select
        grid.activity_date,
        grid.channel_code,
        coalesce(touches.reach, 0) as reach,
        coalesce(touches.sends, 0) as sends,
        coalesce(touches.opens, 0) as opens,
        coalesce(touches.clicks, 0) as clicks,
        coalesce(last_touch_conversions.conversions, 0) as conversions,
        coalesce(last_touch_conversions.attributed_revenue, 0) as attributed_revenue,
        coalesce(acquisitions.acquired_customers, 0) as acquired_customers,
        coalesce(spend.spend_amount, 0) as spend_amount,
        coalesce(spend.impressions, 0) as impressions
    from grid
    left join touches
        on touches.activity_date = grid.activity_date and touches.channel_code = grid.channel_code
    left join last_touch_conversions
        on last_touch_conversions.activity_date = grid.activity_date
        and last_touch_conversions.channel_code = grid.channel_code
    left join acquisitions
        on acquisitions.activity_date = grid.activity_date and acquisitions.channel_code = grid.channel_code
    left join spend
        on spend.activity_date = grid.activity_date and spend.channel_code = grid.channel_code
)

select
    cast(cast(activity_date as text) || ':' || channel_code as text) as channel_day_id,
    cast(activity_date as date) as activity_date,
    cast(channel_code as text) as channel_code,
    cast(reach as bigint) as reach,
    cast(sends as bigint) as sends,
    cast(opens as bigint) as opens,
    cast(clicks as bigint) as clicks,
    cast(conversions as bigint) as conversions,
    cast(acquired_customers as bigint) as acquired_customers,
    cast(impressions as bigint) as impressions,
    {{ dbtb_money('attributed_revenue') }} as attributed_revenue,
    {{ dbtb_money('spend_amount') }} as spend_amount,
    {{ dbtb_money_per('spend_amount', 'acquired_customers') }} as cac,
    cast({{ dbtb_safe_ratio('attributed_revenue', 'spend_amount') }} as double precision) as roas,
    cast({{ dbtb_safe_ratio('attributed_revenue - spend_amount', 'spend_amount') }} as double precision) as roi
from joined
