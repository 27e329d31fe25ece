{#
  The grain test: no two rows share the same values of `combination` (NULLs compare equal here,
  as they do in GROUP BY). Replaces dbt_utils.unique_combination_of_columns (no packages allowed).
#}
{% test unique_combination_of_columns(model, combination) %}
select {{ combination | join(', ') }}, count(*) as row_count
from {{ model }}
group by {{ combination | join(', ') }}
having count(*) > 1
{% endtest %}
