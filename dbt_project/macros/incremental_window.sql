{#
  Rebuild window of the incremental event-time marts (fct_hourly_kpis, fct_customer_daily_activity).

  On an incremental run a period (an hour or a day) is recomputed when either
    * it is within var('late_event_lookback_days') days of the latest period already built (OLTP
      rows such as orders and tickets still change there, and most late events land there), or
    * a clickstream event loaded after the table's watermark (max source_loaded_at) falls into
      it, so a file delivered later than the lookback is still folded in.
  On a full build every period qualifies.

  Usage inside a model's WITH list:
      {{ rebuild_window_ctes(event_period='<SQL of an event's period from column occurred_at>',
                             period_column='<period column of this model>') }},
  then filter every source with  where {{ in_rebuild_window('<SQL of the row period>') }}.
#}
{% macro rebuild_window_ctes(event_period, period_column, period_type) -%}
rebuild_lookback as (

    select {{ incremental_scalar(
        dbt.dateadd('day', -1 * var('late_event_lookback_days'), 'max(' ~ period_column ~ ')'),
        period_type, '1900-01-01') }} as from_period

),

rebuild_late_periods as (

    {% if is_incremental() %}
    select distinct cast({{ event_period }} as {{ period_type }}) as period
    from {{ ref('int_clickstream_events') }}
    where _loaded_at > {{ incremental_scalar('max(source_loaded_at)', dbt.type_timestamp(), '1900-01-01 00:00:00') }}
    {% else %}
    select cast(null as {{ period_type }}) as period
    where 1 = 0
    {% endif %}

)
{%- endmacro %}

{% macro in_rebuild_window(row_period) -%}
    (
        {{ row_period }} >= (select from_period from rebuild_lookback)
        or {{ row_period }} in (select period from rebuild_late_periods)
    )
{%- endmacro %}
