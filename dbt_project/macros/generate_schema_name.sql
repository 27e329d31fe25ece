{#
  Schemas are the same fixed names on every target (staging, intermediate, marts, ...), not dbt's
  default "<target_schema>_<custom>": dashboards, Dagster assets and ML code address them by name.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
