{#
  Exact money arithmetic. DuckDB turns DECIMAL / x into DOUBLE, so dividing money with "/" would
  put floats on the money path. money_fraction(amount, numerator, denominator) returns
  amount * numerator / denominator rounded half away from zero to 0.01 CNY using integer
  arithmetic on cents, identically on DuckDB and PostgreSQL. numerator/denominator are integers;
  NULL when the denominator is 0 or NULL.
#}
{% macro int_div(dividend, divisor) -%}
    {{ return(adapter.dispatch('int_div', 'zhishu')(dividend, divisor)) }}
{%- endmacro %}

{% macro default__int_div(dividend, divisor) -%}
    (cast({{ dividend }} as {{ dbt.type_bigint() }}) / cast({{ divisor }} as {{ dbt.type_bigint() }}))
{%- endmacro %}

{% macro duckdb__int_div(dividend, divisor) -%}
    (cast({{ dividend }} as {{ dbt.type_bigint() }}) // cast({{ divisor }} as {{ dbt.type_bigint() }}))
{%- endmacro %}

{% macro money_fraction(amount, numerator, denominator) -%}
    case
        when coalesce({{ denominator }}, 0) = 0 then null
        else cast(
            cast(
                sign({{ amount }}) * {{ int_div(
                    '2 * abs(cast(' ~ amount ~ ' * 100 as ' ~ dbt.type_bigint() ~ ')) * (' ~ numerator ~ ') + (' ~ denominator ~ ')',
                    '2 * (' ~ denominator ~ ')') }}
                as numeric(18,0)
            ) * cast(0.01 as numeric(3,2))
            as numeric(18,2)
        )
    end
{%- endmacro %}

{% macro money_divide(amount, denominator) -%}
    {{ money_fraction(amount, 1, denominator) }}
{%- endmacro %}
