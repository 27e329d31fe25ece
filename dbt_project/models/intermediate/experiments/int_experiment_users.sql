{{ config(materialized='table') }}
-- One row per experiment assignment (experiment x customer, with the assigned variant) and the
-- outcome inputs of the experimentation engine:
--  * exposed_at: first experiment_exposure event of the customer for the experiment.
--  * analysis window [window_start_at, window_end_at): from exposed_at (assigned_at for
--    never-exposed customers, flagged) to the experiment's end, or, while it runs, to midnight
--    after the last order day in the data.
--  * outcomes in the window: orders (not cancelled), revenue (order totals, exact decimals),
--    logged-in sessions started.
--  * pre-period covariates: the same measures in the 28 days before the window starts (before
--    the customer's first exposure), the CUPED covariate the simulator's truth also uses.
with assignments as (

    select * from {{ ref('stg_oltp__experiment_assignments') }}

),

experiments as (

    select * from {{ ref('stg_oltp__experiments') }}

),

variants as (

    select * from {{ ref('stg_oltp__experiment_variants') }}

),

orders as (

    select customer_id, order_id, ordered_at, total_amount
    from {{ ref('stg_oltp__orders') }}
    where order_status <> 'cancelled'

),

sessions as (

    select * from {{ ref('int_customer_sessions') }}

),

exposures as (

    select
        customer_id,
        experiment_key,
        min(occurred_at) as exposed_at,
        count(*) as exposure_events
    from {{ ref('int_clickstream_events') }}
    where event_name = 'experiment_exposure'
        and customer_id is not null
    group by customer_id, experiment_key

),

as_of as (

    select cast({{ dbt.dateadd('day', 1, to_date('max(ordered_at)')) }} as {{ dbt.type_timestamp() }}) as as_of_at
    from orders

),

windows as (

    select
        assignments.assignment_id,
        assignments.experiment_id,
        experiments.experiment_key,
        assignments.variant_id,
        variants.variant_key,
        variants.is_control,
        assignments.customer_id,
        assignments.assigned_at,
        exposures.exposed_at,
        coalesce(exposures.exposure_events, 0) as exposure_events,
        coalesce(exposures.exposed_at, assignments.assigned_at) as window_start_at,
        coalesce(experiments.ends_at, as_of.as_of_at) as window_end_at,
        {{ dbt.dateadd('day', -28, 'coalesce(exposures.exposed_at, assignments.assigned_at)') }} as pre_period_start_at
    from assignments
    inner join experiments
        on assignments.experiment_id = experiments.experiment_id
    inner join variants
        on assignments.variant_id = variants.variant_id
    cross join as_of
    left join exposures
        on assignments.customer_id = exposures.customer_id
        and experiments.experiment_key = exposures.experiment_key

),

order_outcomes as (

    select
        windows.assignment_id,
        sum(case when orders.ordered_at >= windows.window_start_at
                  and orders.ordered_at < windows.window_end_at then 1 else 0 end) as orders_count,
        sum(case when orders.ordered_at >= windows.window_start_at
                  and orders.ordered_at < windows.window_end_at then orders.total_amount else 0 end) as revenue_amount,
        sum(case when orders.ordered_at >= windows.pre_period_start_at
                  and orders.ordered_at < windows.window_start_at then 1 else 0 end) as pre_orders_count,
        sum(case when orders.ordered_at >= windows.pre_period_start_at
                  and orders.ordered_at < windows.window_start_at then orders.total_amount else 0 end) as pre_revenue_amount
    from windows
    inner join orders
        on windows.customer_id = orders.customer_id
        and orders.ordered_at >= windows.pre_period_start_at
        and orders.ordered_at < windows.window_end_at
    group by windows.assignment_id

),

session_outcomes as (

    select
        windows.assignment_id,
        sum(case when sessions.session_started_at >= windows.window_start_at
                  and sessions.session_started_at < windows.window_end_at then 1 else 0 end) as sessions_count,
        sum(case when sessions.session_started_at >= windows.pre_period_start_at
                  and sessions.session_started_at < windows.window_start_at then 1 else 0 end) as pre_sessions_count
    from windows
    inner join sessions
        on windows.customer_id = sessions.customer_id
        and sessions.session_started_at >= windows.pre_period_start_at
        and sessions.session_started_at < windows.window_end_at
    group by windows.assignment_id

)

select
    windows.assignment_id,
    windows.experiment_id,
    windows.experiment_key,
    windows.variant_id,
    windows.variant_key,
    windows.is_control,
    windows.customer_id,
    windows.assigned_at,
    windows.exposed_at,
    windows.exposed_at is not null as is_exposed,
    {{ to_date('windows.exposed_at') }} as exposed_on,
    cast(windows.exposure_events as integer) as exposure_events,
    windows.window_start_at,
    windows.window_end_at,
    cast(coalesce(order_outcomes.orders_count, 0) as integer) as conversions,
    coalesce(order_outcomes.orders_count, 0) > 0 as is_converted,
    cast(coalesce(order_outcomes.revenue_amount, 0) as numeric(18,2)) as revenue_amount,
    cast(coalesce(session_outcomes.sessions_count, 0) as integer) as sessions,
    cast(coalesce(order_outcomes.pre_orders_count, 0) as integer) as pre_period_orders,
    cast(coalesce(order_outcomes.pre_revenue_amount, 0) as numeric(18,2)) as pre_period_revenue_amount,
    cast(coalesce(session_outcomes.pre_sessions_count, 0) as integer) as pre_period_sessions
from windows
left join order_outcomes
    on windows.assignment_id = order_outcomes.assignment_id
left join session_outcomes
    on windows.assignment_id = session_outcomes.assignment_id
