{{ config(materialized='table') }}
{#-
  Daily active customers with rolling weekly and monthly actives, one row per calendar day from the
  first to the last day with activity (days without activity included).

  Active = at least one clickstream event that day (the is_active definition of
  fct_customer_daily_activity, read from staging because marts only reference core dimensions).
  wau / mau = distinct customers active in the 7 / 30 days ending on the day.

  Why a mart rather than MetricFlow cumulative metrics: a cumulative distinct count is a range join
  of every day with every activity row (O(days x rows)); PostgreSQL needed ~30 s for it on the
  2 % test platform. Here each active day "covers" the W days starting on it; per customer,
  overlapping covers merge into islands (a new island starts when the gap to the previous active
  day exceeds W), and the number of islands covering a day (running sum of +1 at an island's
  start and -1 after its end) is the number of distinct customers active in the window: O(rows).
-#}

with active_days as (
    select distinct customer_id, occurred_on as activity_date
    from {{ ref('stg_clickstream__events') }}
    where customer_id is not null
),

windows as (
    select 7 as window_days
    union all
    select 30 as window_days
),

sequenced as (
    select
        customer_id,
        activity_date,
        lag(activity_date) over (partition by customer_id order by activity_date) as previous_active_date
    from active_days
),

flagged as (
    select
        windows.window_days,
        sequenced.customer_id,
        sequenced.activity_date,
        case
            when sequenced.previous_active_date is null then 1
            when {{ dbt.datediff('sequenced.previous_active_date', 'sequenced.activity_date', 'day') }} > windows.window_days then 1
            else 0
        end as starts_island
    from sequenced
    cross join windows
),

numbered as (
    select
        *,
        sum(starts_island) over (
            partition by window_days, customer_id order by activity_date rows between unbounded preceding and current row
        ) as island_number
    from flagged
),

islands as (
    select
        window_days,
        customer_id,
        island_number,
        min(activity_date) as covered_from,
        max(activity_date) as last_active_date
    from numbered
    group by window_days, customer_id, island_number
),

coverage_changes as (
    select window_days, covered_from as change_date, 1 as change
    from islands
    union all
    select
        window_days,
        cast({{ dbt.dateadd('day', 'window_days', 'last_active_date') }} as date) as change_date,
        -1 as change
    from islands
),

daily_changes as (
    select window_days, change_date, sum(change) as net_change
    from coverage_changes
    group by window_days, change_date
),

bounds as (
    select min(activity_date) as first_date, max(activity_date) as last_date from active_days
),

calendar as (
    {{ dbtb_period_spine('day', 'bounds', 'first_date', 'last_date') }}
),

rolling as (
    select
        windows.window_days,
        calendar.period_start as activity_date,
        sum(coalesce(daily_changes.net_change, 0)) over (
            partition by windows.window_days order by calendar.period_start
            rows between unbounded preceding and current row
        ) as active_customers
    from calendar
    cross join windows
    left join daily_changes
        on daily_changes.window_days = windows.window_days
        and daily_changes.change_date = calendar.period_start
),

daily as (
    select activity_date, count(*) as dau
    from active_days
    group by activity_date
)

select
    cast(calendar.period_start as date) as activity_date,
    cast(coalesce(daily.dau, 0) as bigint) as dau,
    cast(weekly.active_customers as bigint) as wau,
    cast(monthly.active_customers as bigint) as mau,
    cast({{ dbtb_safe_ratio('coalesce(daily.dau, 0)', 'monthly.active_customers') }} as double precision) as stickiness
from calendar
left join daily on daily.activity_date = calendar.period_start
inner join rolling as weekly
    on weekly.activity_date = calendar.period_start and weekly.window_days = 7
inner join rolling as monthly
    on monthly.activity_date = calendar.period_start and monthly.window_days = 30
