{{
    config(
        materialized='incremental',
        unique_key='event_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns'
    )
}}
-- The typed, deduplicated clickstream kept as a table, so the JSON properties of an event are
-- parsed once (when it is loaded) instead of by every model that reads events. Incremental on
-- load time: events loaded after the newest load already here are (re)inserted whatever their
-- event time (an ingestion load stamps its rows with one _loaded_at and commits them together),
-- and delete+insert on event_id keeps a re-delivered event once. Event consumers read this model.
select *
from {{ ref('stg_clickstream__events') }}
{% if is_incremental() %}
where _loaded_at > {{ incremental_scalar('max(_loaded_at)', dbt.type_timestamp(), '1900-01-01 00:00:00') }}
{% endif %}
