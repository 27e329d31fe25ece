{{
    config(
        materialized='incremental',
        unique_key='event_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns'
    )
}}
-- Behaviour events, one row per event, with typed properties. Incremental on load time rather
-- than event time: every event loaded since the last run is (re)inserted, whatever its
-- occurred_at, so late clickstream files are never missed; delete+insert on event_id keeps a
-- re-delivered event once.
select
    event_id,
    event_name,
    occurred_at,
    occurred_on,
    cast({{ dbt.date_trunc('hour', 'occurred_at') }} as {{ dbt.type_timestamp() }}) as occurred_hour,
    customer_id,
    anonymous_id,
    session_id,
    device,
    page,
    path,
    feature,
    product_id,
    quantity,
    order_id,
    cast(amount as numeric(18,2)) as amount,
    experiment_key,
    variant_key,
    acquisition_channel,
    referrer,
    utm_channel,
    source_file,
    _loaded_at as loaded_at
from {{ ref('int_clickstream_events') }}
{% if is_incremental() %}
where _loaded_at > {{ incremental_scalar('max(loaded_at)', dbt.type_timestamp(), '1900-01-01 00:00:00') }}
{% endif %}
