-- Summary statistics per experiment x variant x day, the experimentation engine's input.
-- Two views of a day d, both additive across days:
--  * activity on d: exposure events, exposed users, and the orders/revenue/sessions on d of users
--    already exposed (within their analysis window); revenue_sum_squares = sum over users of
--    (their revenue on d)^2.
--  * cohort of d (users first exposed on d): their whole-window outcomes and pre-period
--    covariates with sums of squares and cross products, so summing cohorts over days gives
--    exact per-user means, variances and CUPED covariances for any period.
-- Exact decimals throughout (squares have 4 decimals).
with users as (

    select * from {{ ref('int_experiment_users') }}
    where is_exposed

),

variants as (

    select
        variants.variant_id,
        variants.variant_key,
        variants.is_control,
        experiments.experiment_id,
        experiments.experiment_key
    from {{ ref('stg_oltp__experiment_variants') }} as variants
    inner join {{ ref('stg_oltp__experiments') }} as experiments
        on variants.experiment_id = experiments.experiment_id

),

exposure_events as (

    select
        variants.experiment_id,
        variants.variant_id,
        events.occurred_on as date_day,
        count(*) as exposure_events,
        count(distinct events.customer_id) as exposed_users
    from {{ ref('int_clickstream_events') }} as events
    inner join variants
        on events.experiment_key = variants.experiment_key
        and events.variant_key = variants.variant_key
    where events.event_name = 'experiment_exposure'
    group by variants.experiment_id, variants.variant_id, events.occurred_on

),

user_day_orders as (

    select
        users.experiment_id,
        users.variant_id,
        users.customer_id,
        {{ to_date('orders.ordered_at') }} as date_day,
        count(*) as orders_count,
        sum(orders.total_amount) as revenue_amount
    from users
    inner join {{ ref('stg_oltp__orders') }} as orders
        on users.customer_id = orders.customer_id
        and orders.ordered_at >= users.window_start_at
        and orders.ordered_at < users.window_end_at
        and orders.order_status <> 'cancelled'
    group by users.experiment_id, users.variant_id, users.customer_id, {{ to_date('orders.ordered_at') }}

),

daily_orders as (

    select
        experiment_id,
        variant_id,
        date_day,
        sum(orders_count) as conversions,
        count(*) as converting_users,
        sum(revenue_amount) as revenue_sum,
        sum(revenue_amount * revenue_amount) as revenue_sum_squares
    from user_day_orders
    group by experiment_id, variant_id, date_day

),

daily_sessions as (

    select
        users.experiment_id,
        users.variant_id,
        {{ to_date('sessions.session_started_at') }} as date_day,
        count(*) as sessions
    from users
    inner join {{ ref('int_customer_sessions') }} as sessions
        on users.customer_id = sessions.customer_id
        and sessions.session_started_at >= users.window_start_at
        and sessions.session_started_at < users.window_end_at
    group by users.experiment_id, users.variant_id, {{ to_date('sessions.session_started_at') }}

),

cohorts as (

    select
        experiment_id,
        variant_id,
        exposed_on as date_day,
        count(*) as cohort_users,
        sum(case when is_converted then 1 else 0 end) as cohort_converted_users,
        sum(conversions) as cohort_conversions,
        sum(revenue_amount) as cohort_revenue_sum,
        sum(revenue_amount * revenue_amount) as cohort_revenue_sum_squares,
        sum(sessions) as cohort_sessions_sum,
        sum(sessions * sessions) as cohort_sessions_sum_squares,
        sum(pre_period_revenue_amount) as cohort_pre_revenue_sum,
        sum(pre_period_revenue_amount * pre_period_revenue_amount) as cohort_pre_revenue_sum_squares,
        sum(revenue_amount * pre_period_revenue_amount) as cohort_revenue_pre_revenue_cross_sum,
        sum(pre_period_sessions) as cohort_pre_sessions_sum
    from users
    group by experiment_id, variant_id, exposed_on

),

keys as (

    select experiment_id, variant_id, date_day from exposure_events
    union
    select experiment_id, variant_id, date_day from daily_orders
    union
    select experiment_id, variant_id, date_day from daily_sessions
    union
    select experiment_id, variant_id, date_day from cohorts

)

select
    keys.experiment_id,
    variants.experiment_key,
    keys.variant_id,
    variants.variant_key,
    variants.is_control,
    keys.date_day,
    cast(coalesce(exposure_events.exposure_events, 0) as integer) as exposure_events,
    cast(coalesce(exposure_events.exposed_users, 0) as integer) as exposed_users,
    cast(coalesce(daily_orders.conversions, 0) as integer) as conversions,
    cast(coalesce(daily_orders.converting_users, 0) as integer) as converting_users,
    cast(coalesce(daily_orders.revenue_sum, 0) as numeric(18,2)) as revenue_sum,
    cast(coalesce(daily_orders.revenue_sum_squares, 0) as numeric(28,4)) as revenue_sum_squares,
    cast(coalesce(daily_sessions.sessions, 0) as integer) as sessions,
    cast(coalesce(cohorts.cohort_users, 0) as integer) as new_users,
    cast(coalesce(cohorts.cohort_converted_users, 0) as integer) as cohort_converted_users,
    cast(coalesce(cohorts.cohort_conversions, 0) as integer) as cohort_conversions,
    cast(coalesce(cohorts.cohort_revenue_sum, 0) as numeric(18,2)) as cohort_revenue_sum,
    cast(coalesce(cohorts.cohort_revenue_sum_squares, 0) as numeric(28,4)) as cohort_revenue_sum_squares,
    cast(coalesce(cohorts.cohort_sessions_sum, 0) as integer) as cohort_sessions_sum,
    cast(coalesce(cohorts.cohort_sessions_sum_squares, 0) as bigint) as cohort_sessions_sum_squares,
    cast(coalesce(cohorts.cohort_pre_revenue_sum, 0) as numeric(18,2)) as cohort_pre_revenue_sum,
    cast(coalesce(cohorts.cohort_pre_revenue_sum_squares, 0) as numeric(28,4)) as cohort_pre_revenue_sum_squares,
    cast(coalesce(cohorts.cohort_revenue_pre_revenue_cross_sum, 0) as numeric(28,4)) as cohort_revenue_pre_revenue_cross_sum,
    cast(coalesce(cohorts.cohort_pre_sessions_sum, 0) as integer) as cohort_pre_sessions_sum
from keys
inner join variants
    on keys.variant_id = variants.variant_id
left join exposure_events
    on keys.experiment_id = exposure_events.experiment_id
    and keys.variant_id = exposure_events.variant_id
    and keys.date_day = exposure_events.date_day
left join daily_orders
    on keys.experiment_id = daily_orders.experiment_id
    and keys.variant_id = daily_orders.variant_id
    and keys.date_day = daily_orders.date_day
left join daily_sessions
    on keys.experiment_id = daily_sessions.experiment_id
    and keys.variant_id = daily_sessions.variant_id
    and keys.date_day = daily_sessions.date_day
left join cohorts
    on keys.experiment_id = cohorts.experiment_id
    and keys.variant_id = cohorts.variant_id
    and keys.date_day = cohorts.date_day
