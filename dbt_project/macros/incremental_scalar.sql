{#
  incremental_scalar(expression, data_type, default): the value of an aggregate `expression` over
  {{ this }} on an incremental run, rendered as a typed SQL literal (e.g. the load watermark
  max(_loaded_at)). Inlining the value instead of a scalar subquery lets DuckDB skip row groups by
  their min/max statistics, so a run with few new rows does not scan and parse the whole history.
  Outside incremental runs (and at parse time) it renders the default.
#}
{% macro incremental_scalar(expression, data_type, default) -%}
    {%- set value = none -%}
    {%- if execute and is_incremental() -%}
        {%- set result = run_query('select ' ~ expression ~ ' from ' ~ this) -%}
        {%- set value = result.columns[0].values()[0] -%}
    {%- endif -%}
    cast('{{ default if value is none else value }}' as {{ data_type }})
{%- endmacro %}
