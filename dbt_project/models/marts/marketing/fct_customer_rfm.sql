{{ config(materialized='table') }}
{#-
  RFM behaviour segments, one row per customer (every customer; those without a paid order get
  segment 'no_purchase' and NULL scores) so campaigns can target any segment by name.

  As-of date: var('rfm_as_of_date') if set, else the latest paid order date in the data (keeps the
  mart reproducible for a given data set instead of drifting with the wall clock).
  recency_days = as-of date - last paid order date; frequency = paid orders; monetary = their revenue.
  Scores 1-5 with ntile(5) over purchasers (5 = best: most recent, most frequent, highest spend);
  ties are split deterministically by the other measures and customer_id.
  Named segment (first matching rule wins):
    champions           R>=4, F>=4, M>=4
    cant_lose           R<=2, F>=4, M>=4   (used to be best, gone quiet)
    loyal               R>=3, F>=4
    at_risk             R<=2, F>=3
    new                 R>=4, F=1
    potential_loyalists  R>=4, F 2-3
    need_attention      R=3,  F<=3
    hibernating         R=2,  F<=2
    lost                R=1,  F<=2
-#}

with customers as (
    select customer_id, signed_up_at, acquisition_channel, partner_id
    from {{ ref('stg_oltp__customers') }}
),

paid_orders as (
    select * from {{ ref('int_marketing__paid_orders') }}
),

as_of as (
    {%- if var('rfm_as_of_date', none) %}
    select cast('{{ var("rfm_as_of_date") }}' as date) as as_of_date
    {%- else %}
    select max(order_date) as as_of_date from paid_orders
    {%- endif %}
),

purchases as (
    select
        customer_id,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date,
        count(*) as frequency,
        sum(revenue_amount) as monetary
    from paid_orders
    group by 1
),

measured as (
    select
        purchases.*,
        {{ dbt.datediff('purchases.last_order_date', 'as_of.as_of_date', 'day') }} as recency_days
    from purchases
    cross join as_of
),

scored as (
    select
        *,
        ntile(5) over (order by recency_days desc, frequency, monetary, customer_id) as r_score,
        ntile(5) over (order by frequency, monetary, recency_days desc, customer_id) as f_score,
        ntile(5) over (order by monetary, frequency, recency_days desc, customer_id) as m_score
    from measured
),

segmented as (
    select
        *,
        case
            when r_score >= 4 and f_score >= 4 and m_score >= 4 then 'champions'
            when r_score <= 2 and f_score >= 4 and m_score >= 4 then 'cant_lose'
            when r_score >= 3 and f_score >= 4 then 'loyal'
            when r_score <= 2 and f_score >= 3 then 'at_risk'
            when r_score >= 4 and f_score = 1 then 'new'
            when r_score >= 4 then 'potential_loyalists'
            when r_score = 3 then 'need_attention'
            when r_score = 2 then 'hibernating'
            else 'lost'
        end as rfm_segment
    from scored
)

select
    cast(customers.customer_id as bigint) as customer_id,
    cast(customers.acquisition_channel as text) as acquisition_channel,
    cast(customers.partner_id as bigint) as partner_id,
    cast(customers.signed_up_at as timestamp) as signed_up_at,
    cast(as_of.as_of_date as date) as as_of_date,
    cast(segmented.first_order_date as date) as first_order_date,
    cast(segmented.last_order_date as date) as last_order_date,
    cast(segmented.recency_days as integer) as recency_days,
    cast(coalesce(segmented.frequency, 0) as integer) as frequency,
    {{ dbtb_money('coalesce(segmented.monetary, 0)') }} as monetary,
    cast(segmented.r_score as integer) as r_score,
    cast(segmented.f_score as integer) as f_score,
    cast(segmented.m_score as integer) as m_score,
    cast(case when segmented.customer_id is not null
              then cast(segmented.r_score as text) || cast(segmented.f_score as text) || cast(segmented.m_score as text)
         end as text) as rfm_cell,
    cast(coalesce(segmented.rfm_segment, 'no_purchase') as text) as rfm_segment
from customers
cross join as_of
left join segmented on segmented.customer_id = customers.customer_id
