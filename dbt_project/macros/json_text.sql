{#
  json_text(column, key): the value of top-level key `key` of a JSON document stored as text,
  returned as text (NULL when the key is absent or the document is NULL).
  DuckDB reads JSON text natively; PostgreSQL needs a cast to json first.
#}
{% macro json_text(column, key) -%}
    {{ return(adapter.dispatch('json_text', 'zhishu')(column, key)) }}
{%- endmacro %}

{% macro default__json_text(column, key) -%}
    json_extract_string({{ column }}, '$.{{ key }}')
{%- endmacro %}

{% macro postgres__json_text(column, key) -%}
    (cast({{ column }} as json) ->> '{{ key }}')
{%- endmacro %}
