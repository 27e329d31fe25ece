{#
  ratio(numerator, denominator): numerator / denominator as double precision, NULL when the
  denominator is 0 or NULL. For rates and shares only: PostgreSQL would truncate integer / integer,
  and money must use money_divide (exact decimals) instead.
#}
{% macro ratio(numerator, denominator) -%}
    (cast({{ numerator }} as double precision) / nullif({{ denominator }}, 0))
{%- endmacro %}
