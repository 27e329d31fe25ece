{#-
  Every paid order with its customer's engaged marketing touches (opens and clicks; sends alone are
  not engagement) in the attribution lookback window: touched_at in [ordered_at - N days, ordered_at].
  N = var('attribution_lookback_days', 30). Orders without such a touch are unattributed and absent.
  touch_sequence orders a path oldest-first (ties broken by touch_id so every engine agrees).
-#}
{%- set lookback_days = var('attribution_lookback_days', 30) -%}

with orders as (
    select order_id, customer_id, ordered_at, revenue_amount
    from {{ ref('int_marketing__paid_orders') }}
),

engaged_touches as (
    select touch_id, campaign_id, customer_id, channel_code, touch_type, touched_at
    from {{ ref('stg_oltp__marketing_touches') }}
    where touch_type in ('open', 'click')
),

paths as (
    select
        orders.order_id,
        orders.customer_id,
        orders.ordered_at,
        orders.revenue_amount,
        engaged_touches.touch_id,
        engaged_touches.campaign_id,
        engaged_touches.channel_code,
        engaged_touches.touch_type,
        engaged_touches.touched_at,
        {{ dbt.datediff('engaged_touches.touched_at', 'orders.ordered_at', 'second') }} as seconds_before_order
    from orders
    inner join engaged_touches
        on engaged_touches.customer_id = orders.customer_id
        and engaged_touches.touched_at <= orders.ordered_at
        and engaged_touches.touched_at >= {{ dbt.dateadd('day', -lookback_days, 'orders.ordered_at') }}
)

select
    order_id,
    customer_id,
    ordered_at,
    revenue_amount,
    touch_id,
    campaign_id,
    channel_code,
    touch_type,
    touched_at,
    cast(row_number() over (partition by order_id order by touched_at, touch_id) as integer) as touch_sequence,
    cast(count(*) over (partition by order_id) as integer) as touch_count,
    cast(seconds_before_order as double precision) / 86400.0 as days_before_order
from paths
