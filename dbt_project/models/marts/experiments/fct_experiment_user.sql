-- Experiment facts per experiment x variant x customer (one row per assignment): exposure,
-- in-experiment outcomes and 28-day pre-exposure covariates (logic in int_experiment_users).
select
    experiment_id,
    experiment_key,
    variant_id,
    variant_key,
    is_control,
    customer_id,
    assigned_at,
    exposed_at,
    exposed_on,
    is_exposed,
    exposure_events,
    window_start_at,
    window_end_at,
    conversions,
    is_converted,
    revenue_amount,
    sessions,
    pre_period_orders,
    pre_period_revenue_amount,
    pre_period_sessions
from {{ ref('int_experiment_users') }}
